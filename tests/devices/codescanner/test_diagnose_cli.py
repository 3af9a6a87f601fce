"""``scripts/diagnose scanner --json``: the technician's word for the QR/barcode scanner runs
the code scanner's check (the flatbed kind ``scanner`` has none), as a process against the
simulated scanner on a pseudo-terminal; the report names the code's length, never its text."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

from devices.codescanner.simulator import SerialScannerSim

ROOT = Path(__file__).resolve().parents[3]
DIAGNOSE = ROOT / "scripts" / "diagnose"
CODE = "ZJID1.0123456789abcdefghijABCDEFGHIJ-_"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(DIAGNOSE), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=240, check=False)


def test_scanner_is_the_code_scanner_and_reports_a_code_without_its_text() -> None:
    with SerialScannerSim() as sim:
        done_event = threading.Event()

        def present_until_done() -> None:
            # the process opens the port some time after it starts: show the code
            # (as a citizen would, again and again) until the check has finished
            while not done_event.wait(0.3):
                sim.present(CODE)

        presenter = threading.Thread(target=present_until_done, daemon=True)
        presenter.start()
        try:
            done = run("scanner", "--json", "--port", sim.port, "--wait", "60")
        finally:
            done_event.set()
            presenter.join(5)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["driver"] == "serial" and report["ok"] is True
    assert report["status"] == "ready"
    assert report["code"]["length"] == len(CODE)
    assert report["diagnostics"]["port"] == sim.port
    assert CODE not in done.stdout and CODE[6:] not in done.stdout


def test_scanner_that_is_not_there_fails_with_the_reason() -> None:
    done = run("scanner", "--json", "--port", "/dev/kiosk-no-such-scanner", "--wait", "1")
    assert done.returncode == 1, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["ok"] is False and report["status"] == "unavailable" and report["problem"]


def test_the_usage_names_the_alias() -> None:
    done = run("no-such-kind")
    assert done.returncode == 2
    assert "scanner = codescanner" in done.stderr and "codescanner" in done.stderr
