"""scripts/bench fleet runs from a fresh clone: a tiny fleet, end to end, on its own
PostgreSQL. What it reports is not checked against any time (benches are not tests),
only that it ran: heartbeats and cases measured, no error, the cluster gone after."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from simenv.postgres import bindir

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
def test_a_tiny_fleet_runs_and_reports() -> None:
    if bindir() is None:
        pytest.skip("PostgreSQL is not installed (scripts/lib/bootstrap.sh installs it)")
    before = set(Path(tempfile.gettempdir()).glob("kiosk-pg-*"))
    done = subprocess.run(
        [sys.executable, "-m", "scripts.benchmarks.fleet", "--terminals", "5", "--workers", "1",
         "--warmup", "0.5", "--seconds", "2", "--heartbeat-s", "0.5", "--case-rate", "3", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout, done.stderr[-2000:]
    report = json.loads(done.stdout)
    metrics = {m["name"]: m["value"] for m in report["metrics"]}
    assert metrics["errors"] == 0, report["notes"]
    assert metrics["heartbeats measured"] > 0
    assert metrics["large cases sustained (5 x 300 KB)"] > 0
    assert metrics["blob growth per case"] == pytest.approx(1500, rel=0.01)  # KiB: 5 x 300
    assert any(note.startswith("machine:") for note in report["notes"])
    left = set(Path(tempfile.gettempdir()).glob("kiosk-pg-*")) - before
    assert not left, "the cluster's directory was left behind"
