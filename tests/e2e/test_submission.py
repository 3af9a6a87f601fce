"""A case through the real outbox, sender and signed client to the real back office,
on the environment's overlay: delivered; queued while the back office is down and
delivered exactly once when it is back; the heartbeat arrives with device health."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

import pytest

from kiosk.clock import SystemClock
from kiosk.submission.client import BackofficeClient
from kiosk.submission.heartbeat import Heartbeat
from kiosk.submission.outbox import Outbox
from kiosk.submission.outbox_schema import CaseState
from kiosk.submission.retry import RetryPolicy
from kiosk.submission.sender import Sender
from kiosk.wiring.devices import DeviceSet
from simenv.environment import SimEnvironment
from tests.kiosk.case_factory import make_case

FAST = RetryPolicy(base_s=0.05, cap_s=0.5, multiplier=2, jitter=0.5)


class Terminal:
    """The kiosk's submission side, built from config exactly as the app builds it."""

    def __init__(self, env: SimEnvironment) -> None:
        config = env.config()
        clock = SystemClock()
        self.outbox = Outbox.from_config(config, clock=clock)
        self.client = BackofficeClient.from_config(config, clock=clock)
        self.sender = Sender(self.outbox, self.client, FAST, clock=clock,
                             rng=random.Random(7), idle_s=0.2)
        self.terminal_id = config.terminal.id

    def close(self) -> None:
        self.sender.stop()
        self.outbox.close()
        self.client.close()


@pytest.fixture
def terminal(env: SimEnvironment) -> Iterator[Terminal]:
    t = Terminal(env)
    try:
        yield t
    finally:
        t.close()
        env.backoffice_up()




def times_in_backoffice(env: SimEnvironment, ref: str) -> int:
    """How many cases the back office holds with this kiosk reference (staff CLI)."""
    return sum(line.split()[3] == ref for line in env.backoffice_cli("staff", "list")
               .splitlines() if len(line.split()) > 3)


def test_submitted_case_reaches_the_backoffice(env: SimEnvironment, terminal: Terminal) -> None:
    terminal.sender.start()
    ref = terminal.outbox.enqueue(make_case("e2e-a", terminal_id=terminal.terminal_id))
    rec = terminal.sender.submit_and_wait(ref, timeout_s=60)
    assert rec is not None and rec.state is CaseState.DELIVERED, rec
    status = terminal.client.case_status(ref, terminal.client.query_token(ref))
    assert status.case_number == rec.case_number
    assert times_in_backoffice(env, ref) == 1


def test_backoffice_down_queues_then_delivers_exactly_once(env: SimEnvironment,
                                                           terminal: Terminal) -> None:
    env.backoffice_down()
    terminal.sender.start()
    refs = [terminal.outbox.enqueue(make_case(f"e2e-down-{i}", terminal_id=terminal.terminal_id))
            for i in range(3)]
    # The receipt would print now, with the kiosk reference: the case is queued.
    rec = terminal.sender.submit_and_wait(refs[-1], timeout_s=1.0)
    assert rec is not None and rec.state is CaseState.PENDING
    env.backoffice_up()
    terminal.sender.wake()
    rec = terminal.sender.submit_and_wait(refs[-1], timeout_s=120)
    assert rec is not None and rec.state is CaseState.DELIVERED, rec
    for ref in refs:
        assert terminal.outbox.record(ref).state is CaseState.DELIVERED  # type: ignore[union-attr]
        assert times_in_backoffice(env, ref) == 1


def test_heartbeat_reaches_the_backoffice(env: SimEnvironment, terminal: Terminal,
                                          devices: DeviceSet) -> None:
    beat = Heartbeat(terminal.client, devices, clock=SystemClock(), outbox=terminal.outbox)
    assert beat.beat_once(), beat.counters.last_error
    listing = json.loads(env.backoffice_cli("terminal", "list"))
    mine = next(t for t in listing["terminals"] if t["id"] == terminal.terminal_id)
    assert mine["last_seen_at"] is not None
    health = json.dumps(mine["health"])
    for kind in ("idcard", "printer", "camera", "doccam", "scanner"):
        assert kind in health
    assert devices["printer"].status.ready and '"ready"' in health
