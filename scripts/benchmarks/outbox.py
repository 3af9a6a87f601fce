"""scripts/bench outbox: durable enqueue latency and drain throughput.

* Durable enqueue of a case with 5 × 300 KB pages (sealed, committed with
  fsync'ed WAL) beside the machine's raw SQLite commit of one 1.5 MB blob
  (same directory, WAL, synchronous=FULL) measured in the same run: the ratio
  says what encryption, deduplication and bookkeeping cost on top of the disk.
* Peer: persist-queue's ``SQLiteQueue.put`` (WAL, synchronous=FULL, auto-commit)
  of the same case (its JSON and its pages' bytes, pickled as persist-queue does;
  not sealed) in the same run, on the same disk, one of ours and one of its in
  turn (so both meet the same disk), each also timed in CPU (the calling thread's).
* Drain throughput: the sender delivering a backlog of such cases to the real
  reference back office, started by this benchmark in a subprocess on loopback,
  in case bundles (one request a case); beside it the older way (a PUT per page,
  then the case) by a sender told not to bundle. CPU per case of each side: the
  kiosk's process (this one, which only drains meanwhile) and the back office's.
"""

from __future__ import annotations

import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kiosk.clock import SystemClock  # noqa: E402
from kiosk.submission.cases import Case  # noqa: E402
from kiosk.submission.client import BackofficeClient  # noqa: E402
from kiosk.submission.crypto import Sealer  # noqa: E402
from kiosk.submission.outbox import Outbox  # noqa: E402
from kiosk.submission.reference import format_reference  # noqa: E402
from kiosk.submission.retry import RetryPolicy  # noqa: E402
from kiosk.submission.sender import Sender  # noqa: E402
from scripts.benchmarks._local_backoffice import (  # noqa: E402
    BackofficeProcess,
    add_terminal,
    kiosk_case,
    raw_commit_ms,
)
from scripts.benchmarks.common import Report, parser, percentile, run  # noqa: E402

PAGE_BYTES = 300 * 1024
PAGES = 5
TERMINAL = "XS-BENCH-0001"


def make_case(rng: random.Random, pages_n: int = PAGES, page_bytes: int = PAGE_BYTES) -> Case:
    # Random bytes: scans are JPEGs, which neither compress nor repeat.
    return kiosk_case([b"\xff\xd8\xff\xe0" + rng.randbytes(page_bytes - 4)
                       for _ in range(pages_n)], TERMINAL)


class Timed:
    """Wall and CPU (the calling thread's) milliseconds of each timed call."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __call__(self, fn: Callable[[], object]) -> None:
        c0, t0 = time.thread_time(), time.perf_counter()
        fn()
        self.wall.append((time.perf_counter() - t0) * 1000)
        self.cpu.append((time.thread_time() - c0) * 1000)


def bench_enqueue(directory: Path, n: int, rng: random.Random) -> tuple[Timed, Timed]:
    """Our durable enqueue and the peer's (persist-queue's durable put) of the same case,
    one of each in turn, so that both meet the same disk."""
    import persistqueue

    ours, peer = Timed(), Timed()
    queue = persistqueue.SQLiteQueue(str(directory / "persist-queue"), auto_commit=True)
    queue._putter.execute("PRAGMA synchronous=FULL")  # type: ignore[attr-defined]  # as durable as ours
    with Outbox(directory / "outbox.sqlite3", Sealer(rng.randbytes(32)), ref_prefix="BE",
                clock=SystemClock(), max_pending_cases=10_000,
                max_pending_bytes=10**12) as outbox:
        for i in range(n):
            case = make_case(rng)  # built before timing: the screen already holds it
            ours(lambda: outbox.enqueue(case))  # noqa: B023 - called at once
            # Between two citizens the idle sender checkpoints the WAL (kiosk/submission/sender.py).
            outbox.checkpoint()
            case = make_case(rng).with_ref(format_reference("PQ", date.today(), i + 1))
            item = {"case": case.submission_body(), "pages": [b.data for b in case.blobs()]}
            peer(lambda: queue.put(item))  # noqa: B023
    return ours, peer


def _process_cpu_s(pid: int | None = None) -> float | None:
    """CPU seconds (user + system) of this process, or of ``pid`` (Linux /proc; None
    where there is none)."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_bare(client: BackofficeClient, n: int, rng: random.Random, pages_n: int,
               page_bytes: int) -> float:
    """Reference: the same requests from a bare client, one after another, no outbox."""
    cases = [make_case(rng, pages_n, page_bytes).with_ref(
        format_reference("BR", date.today(), i + 1)) for i in range(n)]
    t0 = time.perf_counter()
    for case in cases:
        for blob in case.blobs():
            client.upload_material(blob.sha256, blob.content_type, blob.data)
        client.create_case(case.kiosk_ref or "", case.submission_body())
    return n / (time.perf_counter() - t0)


@dataclass
class Drained:
    """Cases/s of the sender draining a backlog, of the bare-client reference, and the
    CPU milliseconds per case of the kiosk's process and of the back office's."""

    rate: float
    bare: float
    kiosk_cpu_ms: float
    server_cpu_ms: float | None


def bench_drain(directory: Path, n: int, rng: random.Random, pages_n: int = PAGES,
                page_bytes: int = PAGE_BYTES, *, bundles: bool = True) -> Drained:
    """The sender draining a backlog of ``n`` cases to the back office."""
    directory = directory / f"drain-{pages_n}x{page_bytes}-{bundles}"
    directory.mkdir()
    secret = add_terminal(directory / "backoffice", TERMINAL, directory / "terminal.key")
    bo = BackofficeProcess(directory / "backoffice").wait()
    clock = SystemClock()
    try:
        client = BackofficeClient(bo.url, TERMINAL, secret, clock=clock)
        with Outbox(directory / "drain.sqlite3", Sealer(rng.randbytes(32)), ref_prefix="BD",
                    clock=clock, max_pending_cases=10_000, max_pending_bytes=10**12) as outbox:
            for _ in range(n):
                outbox.enqueue(make_case(rng, pages_n, page_bytes))
            sender = Sender(outbox, client, RetryPolicy(base_s=0.05, cap_s=1), clock=clock,
                            rng=rng, bundles=bundles)
            server0, kiosk0 = _process_cpu_s(bo.proc.pid), _process_cpu_s()
            t0 = time.perf_counter()
            for _ in range(n * 20):  # as the sender's thread drains (pipelined)
                if not sender.drain(ignore_hold=True) and outbox.stats().pending == 0:
                    break
            elapsed = time.perf_counter() - t0
            server1, kiosk1 = _process_cpu_s(bo.proc.pid), _process_cpu_s()
            stats = outbox.stats()
            if stats.delivered != n:
                raise RuntimeError(f"drain incomplete: {stats.to_dict()}")
        bare = bench_bare(client, n, rng, pages_n, page_bytes)
        client.close()
    finally:
        bo.stop()
    server_ms = None if server0 is None or server1 is None else (server1 - server0) * 1000 / n
    return Drained(n / elapsed, bare, ((kiosk1 or 0.0) - (kiosk0 or 0.0)) * 1000 / n, server_ms)


def main(argv: list[str]) -> int:
    p = parser("outbox", __doc__ or "")
    p.add_argument("--samples", type=int, default=60)
    p.add_argument("--drain-cases", type=int, default=60)
    args = p.parse_args(argv)
    rng = random.Random(7)
    report = Report("outbox")
    with tempfile.TemporaryDirectory(dir=ROOT / "var" if (ROOT / "var").is_dir() else None) as t:
        tmp = Path(t)
        raw = raw_commit_ms(tmp, args.samples, lambda _i: rng.randbytes(PAGE_BYTES * PAGES))
        ours, theirs = bench_enqueue(tmp, args.samples, rng)
        big = bench_drain(tmp, args.drain_cases, rng)
        separate = bench_drain(tmp, args.drain_cases, rng, bundles=False)
        light = bench_drain(tmp, args.drain_cases, rng, pages_n=1, page_bytes=50 * 1024)
    enq, peer = ours.wall, theirs.wall
    raw50, raw99 = percentile(raw, 50), percentile(raw, 99)
    enq50, enq99 = percentile(enq, 50), percentile(enq, 99)
    report.add("raw SQLite commit of 1.5 MB (WAL, FULL) p50", raw50, "ms")
    report.add("raw SQLite commit of 1.5 MB (WAL, FULL) p99", raw99, "ms")
    report.add("durable enqueue, 5 x 300 KB pages, p50", enq50, "ms")
    report.add("durable enqueue, 5 x 300 KB pages, p99", enq99, "ms", goal="<= 50")
    report.add("enqueue / raw commit, p50", enq50 / raw50, "x", goal="<= 3",
               reference="raw SQLite commit p50")
    report.add("enqueue / raw commit, p99", enq99 / raw99, "x", reference="raw SQLite commit p99")
    peer50, peer99 = percentile(peer, 50), percentile(peer, 99)
    report.add("peer: persist-queue put of the same case, p50", peer50, "ms")
    report.add("peer: persist-queue put of the same case, p99", peer99, "ms")
    report.add("enqueue / persist-queue put, p50", enq50 / peer50, "x", goal="<= 1",
               reference="persist-queue SQLiteQueue.put p50")
    cpu50, peer_cpu50 = percentile(ours.cpu, 50), percentile(theirs.cpu, 50)
    report.add("durable enqueue CPU, p50", cpu50, "ms")
    report.add("peer: persist-queue put CPU, p50", peer_cpu50, "ms")
    report.add("enqueue / persist-queue put, CPU p50", cpu50 / peer_cpu50, "x",
               reference="persist-queue SQLiteQueue.put CPU p50")
    report.add("drain to the local back office, 5 x 300 KB cases (bundles)", big.rate,
               "cases/s", goal=">= 50")
    report.add("drain CPU per case, kiosk (sender, outbox)", big.kiosk_cpu_ms, "ms")
    if big.server_cpu_ms is not None:
        report.add("drain CPU per case, back office", big.server_cpu_ms, "ms")
    report.add("drain, older terminals' way (a PUT per page, then the case)", separate.rate,
               "cases/s")
    report.add("bare client, same requests, 5 x 300 KB cases", big.bare, "cases/s")
    report.add("drain / bare client, 5 x 300 KB cases", big.rate / big.bare, "x",
               reference="bare client without outbox, serial")
    report.add("drain to the local back office, 1 x 50 KB cases", light.rate, "cases/s")
    report.add("drain / bare client, 1 x 50 KB cases", light.rate / light.bare, "x",
               reference="bare client without outbox, serial")
    report.notes.append(f"{args.samples} enqueues, {args.drain_cases} cases drained per size; "
                        "temp dir on the same disk as var/; the sender checkpoints between "
                        "enqueues as it does when idle")
    report.notes.append("bare client: separate uploads, serial, no outbox")
    return report.emit(args.json)


if __name__ == "__main__":
    run(main)
