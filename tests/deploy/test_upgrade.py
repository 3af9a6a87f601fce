"""Upgrades with rollback (deploy/installer/upgrade.py) on real releases built from this
working tree: the services started from ``<prefix>/current`` by a runner that gives each
a notification socket of its own and waits for its READY=1, as systemd would. The UI
really starts (headless) and reports READY=1 once Home is on screen; the case sender
really takes the outbox's drain lock."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from deploy.installer.layout import Layout
from deploy.installer.release import build_release, current_version
from deploy.installer.services import DirectRunner
from deploy.installer.stage import Terminal, install
from deploy.installer.upgrade import upgrade
from kiosk.clock import SystemClock
from kiosk.config.model import load_config
from kiosk.service.datastate import update_report
from kiosk.submission.outbox import Outbox
from kiosk.submission.outbox_schema import CaseState
from tests.kiosk.case_factory import make_case

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)
COMMANDS = {"kiosk-sender": ["bin/kiosk-sender"], "kiosk-app": ["bin/kiosk-app", "--headless"]}
UNITS = ("kiosk-sender", "kiosk-app")


@dataclass
class Terminal_:
    layout: Layout
    runner: DirectRunner
    releases: Path
    config: Path

    def outbox(self) -> Outbox:
        config = load_config(None, (self.config,))
        return Outbox.from_config(config, clock=SystemClock(), drain=False)

    def proc_release(self, unit: str) -> str:
        """The release directory the running unit's Python was started from."""
        pid = self.runner.procs[unit].pid
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        python = Path(argv[0].decode())
        return python.parents[2].name


@pytest.fixture(scope="module")
def terminal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Terminal_]:
    base = tmp_path_factory.mktemp("term")
    layout = Layout(prefix=base / "opt/kiosk", etc=base / "etc/kiosk",
                    data=base / "var/lib/kiosk", units=base / "units", udev=base / "udev",
                    sysusers=base / "sysusers", tmpfiles=base / "tmpfiles", pam=base / "pam",
                    chown=False)
    secret = base / "terminal.key"
    secret.write_text(os.urandom(32).hex())
    secret.chmod(0o600)
    releases = base / "releases"
    first = build_release(ROOT, releases, version="1.0.0")
    install(layout, Terminal("XS-UP-0001", "UP", "township", "http://127.0.0.1:9",
                             terminal_secret=secret),
            first, deps_from=VENV, system=False)
    # The fonts the UI's ExecStartPre= extracts (bin/kiosk-assets), copied instead.
    shutil.copytree(ROOT / "var" / "fonts", layout.data / "fonts")
    env = {"PATH": os.environ["PATH"], "KIOSK_ETC": str(layout.etc),
           "KIOSK_DATA": str(layout.data), "KIVY_HOME": str(layout.data / "kivy"),
           "KIVY_LOG_MODE": "PYTHON", "HOME": str(layout.data),
           # WatchdogSec=2 as systemd passes it: for the process it starts (cage on a
           # terminal; bin/kiosk-app drops WATCHDOG_PID, NotifyAccess=all).
           "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"}
    runner = DirectRunner(layout.current, COMMANDS, env)
    rc, out = runner.run([str(layout.current / "bin/kiosk-migrate")], 60)
    assert rc == 0, out
    why = runner.start(UNITS, 90)
    assert why is None, (why, {u: p.read_text()[-2000:] for u, p in runner.logs.items()})
    yield Terminal_(layout, runner, releases, layout.etc / "kiosk.yaml")
    runner.close()


def broken_release(out: Path, version: str) -> Path:
    """A release whose heartbeat module raises at import: the UI and the sender start
    and report READY=1 (the journey is attached after Home), the self-test does not pass."""
    release = build_release(ROOT, out, version=version)
    module = release / "kiosk" / "submission" / "heartbeat.py"
    module.write_text(module.read_text() + "\nraise RuntimeError('a broken release')\n")
    return release


def test_a_good_release_is_switched_to_and_stays(terminal: Terminal_) -> None:
    with terminal.outbox() as outbox:
        ref = outbox.enqueue(make_case("before-upgrade", terminal_id="XS-UP-0001"))
    config_before = terminal.config.read_bytes()
    outcome = upgrade(terminal.layout, build_release(ROOT, terminal.releases, version="1.1.0"),
                      terminal.runner, deps_from=VENV, ready_timeout_s=90)
    assert outcome.ok, outcome.reason
    assert current_version(terminal.layout) == "1.1.0"
    for unit in UNITS:
        assert terminal.runner.running(unit)
        assert terminal.proc_release(unit) == "1.1.0"
        # The UI's pings come from its Kivy loop, the sender's from its main thread.
        assert b"WATCHDOG=1" in terminal.runner.received(unit, timeout_s=10), unit
    assert (terminal.layout.prefix / "1.0.0").is_dir()  # kept beside, for a rollback
    assert update_report(terminal.layout.data) == {"version": "1.1.0", "failed": None}
    # The UI stores cases and leaves sending to the sender service: it attached its
    # journey without taking the outbox's drain lock.
    log = (terminal.layout.data / "log" / "kiosk.log").read_text()
    assert "journey is not available" not in log and "in use by another" not in log
    assert terminal.config.read_bytes() == config_before
    with terminal.outbox() as outbox:
        record = outbox.record(ref)
    assert record is not None and record.state in (CaseState.PENDING, CaseState.SENDING)


def test_a_broken_release_is_rolled_back_and_the_failure_is_reported(
        terminal: Terminal_) -> None:
    with terminal.outbox() as outbox:
        ref = outbox.enqueue(make_case("before-broken", terminal_id="XS-UP-0001"))
        pending_before = outbox.stats().pending
    config_before = terminal.config.read_bytes()
    running_before = current_version(terminal.layout)
    outcome = upgrade(terminal.layout, broken_release(terminal.releases, "1.2.0"),
                      terminal.runner, deps_from=VENV, ready_timeout_s=90)
    assert not outcome.ok
    assert "self-test failed" in outcome.reason and "a broken release" in outcome.reason
    assert current_version(terminal.layout) == running_before == outcome.running
    for unit in UNITS:  # the old release runs again, READY=1 and all
        assert terminal.runner.running(unit)
        assert terminal.proc_release(unit) == running_before
    assert terminal.config.read_bytes() == config_before
    with terminal.outbox() as outbox:
        record = outbox.record(ref)
        assert record is not None and record.state in (CaseState.PENDING, CaseState.SENDING)
        assert outbox.stats().pending == pending_before

    report = update_report(terminal.layout.data)
    assert report is not None and report["version"] == running_before
    failed = report["failed"]
    assert failed["version"] == "1.2.0" and failed["previous"] == running_before
    assert "self-test failed" in failed["reason"]


def test_the_failed_update_goes_out_in_the_next_heartbeat(terminal: Terminal_) -> None:
    from backoffice.schemas import Heartbeat as HeartbeatSchema
    from kiosk.submission.heartbeat import Heartbeat

    sent: list[dict[str, Any]] = []

    class Client:
        def heartbeat(self, devices: Any, outbox: Any = None, release: Any = None) -> Any:
            sent.append({"time": SystemClock().now().isoformat(), "devices": dict(devices),
                         "outbox": outbox, "release": release})
            return SystemClock().now()

    beat = Heartbeat(Client(), {}, clock=SystemClock(),
                     release=lambda: update_report(terminal.layout.data))
    assert beat.beat_once()
    release = sent[0]["release"]
    assert release["failed"]["version"] == "1.2.0"
    # The back office's schema takes the field as sent.
    parsed = HeartbeatSchema.model_validate(sent[0])
    assert parsed.release is not None and parsed.release.failed is not None
    assert parsed.release.failed.previous == release["version"]
