"""The case sender as a service of its own (kiosk/service/sender.py): it holds the
outbox's drain lock, the UI (``outbox.sender: service``) stores cases without it and
wakes the service, and two senders never drain the same outbox."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.clock import FakeClock, SystemClock
from kiosk.config.model import load_config
from kiosk.errors import OutboxError
from kiosk.submission.crypto import Sealer
from kiosk.submission.outbox import Outbox
from kiosk.submission.outbox_schema import CaseState
from kiosk.submission.remote import RemoteSender
from kiosk.submission.sender import build_submission
from tests.deploy.notifysocket import NotifySocket
from tests.kiosk.case_factory import make_case
from tests.kiosk.hostile_server import SECRET, TERMINAL, HostileServer

ROOT = Path(__file__).resolve().parents[2]


def overlay(tmp: Path, url: str) -> Path:
    secret = tmp / "terminal.key"
    secret.write_text(SECRET.hex())
    secret.chmod(0o600)
    path = tmp / "local.yaml"
    path.write_text(f"""terminal:
  id: {TERMINAL}
  ref_prefix: TT
  site_profile: township
  data_dir: {tmp}
backoffice:
  url: {url}
  secret_file: {secret}
outbox:
  path: {tmp}/outbox.sqlite3
  key_file: {tmp}/secrets/outbox.key
  sender: service
""")
    return path


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as srv:
        yield srv


def test_the_ui_stores_and_the_service_delivers(tmp_path: Path, server: HostileServer) -> None:
    conf = overlay(tmp_path, server.url)
    notify = NotifySocket.open()
    errors = tmp_path / "sender.err"
    with open(errors, "wb") as err:
        service = subprocess.Popen(
            [sys.executable, "-P", "-m", "kiosk.service.sender", "--config", str(conf)],
            env={**os.environ, "PYTHONPATH": str(ROOT), "NOTIFY_SOCKET": str(notify.path),
                 "WATCHDOG_USEC": "1000000"}, stderr=err)
    try:
        ready = notify.wait_for("READY", timeout_s=60)
        assert ready is not None, errors.read_text()
        # Its watchdog pings come while its sender thread runs.
        assert notify.wait_for("WATCHDOG", timeout_s=10, after=ready.at)

        config = load_config(None, (conf,))
        ui = build_submission(config, clock=SystemClock(), rng=random.Random(1))
        try:
            assert isinstance(ui.sender, RemoteSender) and not ui.outbox.drains
            assert ui.sender.alive  # the service holds the drain lock
            # No second drainer: not this process, not a second service.
            with pytest.raises(OutboxError, match="in use by another kiosk process"):
                Outbox.from_config(config, clock=SystemClock())
            with pytest.raises(OutboxError, match="drain lock"):
                ui.outbox.claim_next()
            ref = ui.outbox.enqueue(make_case("via-service"))
            record = ui.sender.submit_and_wait(ref, 30)
            assert record is not None and record.state is CaseState.DELIVERED
            assert ref in server.cases and server.created == 1
        finally:
            ui.close()
    finally:
        service.send_signal(signal.SIGTERM)
        assert service.wait(20) == 0
        notify.close()
    assert not Outbox.drained_elsewhere(tmp_path / "outbox.sqlite3")


def test_a_store_only_open_leaves_the_drainers_case_in_flight(tmp_path: Path) -> None:
    """Opening the outbox puts ``sending`` rows back to pending; only the drainer may do
    that, or the UI starting up would hand the sender's case in flight to a second send."""
    path = tmp_path / "outbox.sqlite3"
    sealer = Sealer(bytes(range(32)))
    with Outbox(path, sealer, ref_prefix="TT", clock=FakeClock()) as drainer:
        ref = drainer.enqueue(make_case("in-flight"))
        assert drainer.claim_next() is not None
        with Outbox(path, sealer, ref_prefix="TT", clock=FakeClock(), drain=False) as ui:
            record = ui.record(ref)
            assert record is not None and record.state is CaseState.SENDING
            second = ui.enqueue(make_case("stored-by-ui"))
        assert drainer.record(second) is not None
    # Once the drainer is gone, the next drainer recovers the case in flight.
    with Outbox(path, sealer, ref_prefix="TT", clock=FakeClock()) as next_drainer:
        record = next_drainer.record(ref)
        assert record is not None and record.state is CaseState.PENDING
