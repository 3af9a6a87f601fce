"""``python -m simenv up`` as its own process, controlled by ``ctl`` from another:
it prints where everything is, obeys, and on SIGTERM stops every child it started."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config.model import ROOT

START_S = 90.0


def ctl(directory: Path, *words: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-m", "simenv", "ctl", "--dir", str(directory),
                           *words], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    answer: dict[str, object] = json.loads(done.stdout)
    assert (done.returncode == 0) == bool(answer["ok"]), done
    return answer


def read_line(proc: subprocess.Popen[str], timeout_s: float) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout_s):
            pytest.fail("simenv up printed nothing in time")
    return proc.stdout.readline()


def test_up_ctl_and_sigterm(tmp_path: Path) -> None:
    directory = tmp_path / "sim"
    log = (tmp_path / "up.log").open("w")
    with log, subprocess.Popen([sys.executable, "-m", "simenv", "up", "--dir",
                                str(directory), "--json"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=log, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)}) as proc:
        try:
            info = json.loads(read_line(proc, START_S))
            assert Path(info["overlay"]).exists() and Path(info["control"]).exists()
            assert (directory / "simenv.json").exists()
            pids = [p["pid"] for p in info["processes"].values() if p["pid"]]
            placed = ctl(directory, "place-card", "expired", "--no-photo")
            assert placed["result"]["card"] == "expired"  # type: ignore[index]
            assert ctl(directory, "printer-fault", "paper_out")["ok"]
            assert ctl(directory, "printer-ok")["ok"]
            assert ctl(directory, "camera-scene", "doccam", "none")["ok"]
            assert not ctl(directory, "printer-fault", "on-fire")["ok"]
            assert ctl(directory, "receipts")["result"] == []
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0, (tmp_path / "up.log").read_text()[-2000:]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not (directory / "simenv.json").exists()
    # A second start on the same directory reuses the provisioned terminal and data.
    assert (directory / "secrets" / "terminal.key").exists()
