"""Crash-test driver: SIGKILL the kiosk child at random and at chosen points.

    python tests/kiosk/crash/driver.py [--trials N] [--seed S]

One real back office (subprocess) serves the whole run. Each trial starts
``child.py`` on the same outbox; once the child reports that the outbox opened
(reopening cleanly after the previous kill is itself a check), the driver kills
it with SIGKILL either after a random delay or when the child announces the
chosen point (after enqueue commit, after the receipt, before/after an upload,
before/after the POST, after delivery). At the end a final child drains what is
left, and the driver checks:

* every reference whose receipt was reached is in the back office, under the
  case number the outbox recorded;
* the back office holds nothing else than what the outbox committed: its case
  numbers are a gapless daily sequence (API.md), so their count is known without
  listing, and it must equal the number of committed cases; nothing was refused
  (a reused reference would be a 409).
"""

from __future__ import annotations

import argparse
import collections
import queue
import random
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.kiosk.crash.live_backoffice import ROOT, LiveBackoffice

CHILD = Path(__file__).with_name("child.py")
POINTS = ("enqueued", "receipt", "before_upload", "after_upload", "before_post", "after_post",
          "delivered")
CHILD_TIMEOUT_S = 60.0


@dataclass
class Result:
    trials: int = 0
    kills: collections.Counter[str] = field(default_factory=collections.Counter)
    receipts: set[str] = field(default_factory=set)
    #: kiosk reference -> case number, as the back office answers for each committed case
    backoffice: dict[str, str] = field(default_factory=dict)
    #: total cases the back office created (from its gapless daily numbering)
    backoffice_total: int = 0
    outbox: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


class _LineReader:
    """The child's stdout lines through a thread and a queue. (select() on a buffered
    pipe misses a line that arrived in the same read as the previous one.)"""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(proc,), daemon=True)
        self._thread.start()

    def _pump(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self._queue.put(line.strip())
        self._queue.put(None)

    def next(self, timeout_s: float) -> str | None:
        """The next line, or None at EOF or when ``timeout_s`` passes."""
        try:
            return self._queue.get(timeout=max(0.0, timeout_s))
        except queue.Empty:
            return None

    def join(self) -> None:
        """Wait for EOF (the child is gone) so the pipe can be closed under no reader."""
        self._thread.join(CHILD_TIMEOUT_S)

    def rest(self) -> list[str]:
        self.join()
        lines = []
        while not self._queue.empty():
            line = self._queue.get_nowait()
            if line is not None:
                lines.append(line)
        return lines


def _run_child(workdir: Path, url: str, trial: int, args: list[str], kill_after_s: float | None,
               kill_point: str | None) -> str:
    """Run one child; returns how it ended: 'killed:<why>', 'done', or 'failed:<why>'."""
    errlog = workdir / f"child-{trial}.stderr"
    with open(errlog, "wb") as err:  # a file: a full stderr pipe would block the child
        proc = subprocess.Popen([sys.executable, str(CHILD), str(workdir), url, str(trial),
                                 *args], cwd=ROOT, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=err, text=True)
    lines = _LineReader(proc)

    def failed(why: str) -> str:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        return f"failed:{why}: {errlog.read_text(errors='replace')[-1500:]}"

    try:
        first = lines.next(CHILD_TIMEOUT_S)
        if first != "open":
            return failed(f"outbox did not reopen cleanly ({first!r})")
        if kill_after_s is not None:
            line = lines.next(kill_after_s)
            if line is None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
                return "killed:random"
        else:
            line = lines.next(CHILD_TIMEOUT_S)
            if line == f"point {kill_point}":
                proc.kill()
                proc.wait(timeout=30)
                return f"killed:{kill_point}"
        try:
            proc.wait(timeout=CHILD_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return failed(f"child stuck after {line!r}")
        if proc.returncode == 0 and "done" in [line, *lines.rest()]:
            errlog.unlink()
            return "done"
        return failed(f"exit {proc.returncode} after {line!r}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        lines.join()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()


def run(workdir: Path, trials: int, seed: int, cases_per_child: int = 3, *,
        national: bool = False) -> Result:
    """``national``: the terminal on the national suite (SM4-GCM outbox, HMAC-SM3)."""
    rnd = random.Random(seed)
    result = Result()
    window = 0.3
    suite = ["--national"] if national else []
    with LiveBackoffice(workdir, suite="hmac-sm3" if national else None) as bo:
        for trial in range(trials):
            # Even trials: a random moment. Odd trials: each chosen point in turn. Every
            # other pair of trials enqueues its cases first and drains them as a backlog.
            mode = [*suite, *(["--backlog"] if trial % 4 >= 2 else [])]
            if trial % 2 == 0:
                how = _run_child(workdir, bo.url, trial,
                                 ["--cases", str(cases_per_child), *mode],
                                 kill_after_s=rnd.uniform(0.0, window), kill_point=None)
                # Keep the random moments inside the child's work on this machine: a
                # child that finished first shrinks the window, a kill widens it a little.
                window = window * 0.8 if how == "done" else min(2.0, window * 1.05)
            else:
                point = POINTS[(trial // 2) % len(POINTS)]
                k = rnd.randint(1, 2 if point in ("before_upload", "after_upload") else 1)
                how = _run_child(workdir, bo.url, trial,
                                 ["--cases", str(cases_per_child), "--kill-point", point,
                                  "--kill-at", str(k), *mode], kill_after_s=None,
                                 kill_point=point)
            result.trials += 1
            result.kills[how.split(":")[0] if how.startswith("failed") else how] += 1
            if how.startswith("failed"):
                result.problems.append(f"trial {trial}: {how}")
                break
        final = _run_child(workdir, bo.url, trials, ["--final", *suite], kill_after_s=None,
                           kill_point=None)
        if final != "done":
            result.problems.append(f"final drain: {final}")
        conn = sqlite3.connect(workdir / "outbox.sqlite3")
        result.outbox = {ref: (state, number) for ref, state, number in
                         conn.execute("SELECT ref, state, case_number FROM cases")}
        conn.close()
        _ask_backoffice(bo, result)
    receipts = workdir / "receipts"
    if receipts.exists():
        for line in receipts.read_text().splitlines():
            if line.startswith("receipt reached: "):
                result.receipts.add(line.removeprefix("receipt reached: "))
    _check(result)
    return result


def _ask_backoffice(bo: LiveBackoffice, r: Result) -> None:
    """Which case number the back office holds for each reference. Read from its
    database: hundreds of look-ups through the API would pass the per-terminal
    look-up limit, which is there precisely to stop a terminal doing that."""
    conn = sqlite3.connect(bo.data_dir / "backoffice.sqlite3")
    try:
        held = dict(conn.execute("SELECT kiosk_ref, case_number FROM cases"))
    finally:
        conn.close()
    r.backoffice.update({ref: held[ref] for ref in r.outbox if ref in held})
    # XS + YYYYMMDD + 6-digit sequence of that day: the highest number of each day
    # is how many cases the back office created that day.
    days: dict[str, int] = {}
    for number in r.backoffice.values():
        days[number[:10]] = max(days.get(number[:10], 0), int(number[10:]))
    r.backoffice_total = sum(days.values())


def _check(r: Result) -> None:
    lost = sorted(r.receipts - set(r.backoffice))
    if lost:
        r.problems.append(f"receipt printed but case missing: {lost}")
    if len(set(r.backoffice.values())) != len(r.backoffice):
        r.problems.append("two references share one case number")
    if r.backoffice_total != len(r.backoffice):
        r.problems.append(f"the back office created {r.backoffice_total} cases for "
                          f"{len(r.backoffice)} committed ones: duplicates or strangers")
    undelivered = sorted(ref for ref, (st, _) in r.outbox.items() if st != "delivered")
    if undelivered:
        r.problems.append(f"not delivered (or refused) after the final drain: {undelivered}")
    wrong = sorted(ref for ref, (st, number) in r.outbox.items()
                   if st == "delivered" and r.backoffice.get(ref) != number)
    if wrong:
        r.problems.append(f"outbox case number differs from the back office's: {wrong}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path)
    args = ap.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        r = run(args.workdir or Path(tmp), args.trials, args.seed)
        print(f"{r.trials} trials in {time.monotonic() - started:.1f} s; endings: "
              f"{dict(r.kills)}; receipts {len(r.receipts)}; "
              f"back office cases {r.backoffice_total}")
        for p in r.problems:
            print("PROBLEM:", p)
    return 1 if r.problems else 0


if __name__ == "__main__":
    sys.exit(main())
