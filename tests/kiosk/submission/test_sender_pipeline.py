"""The pipelined drain (Sender.drain, what the sender's thread runs): the next case goes
out while the previous answer is recorded, yet the queue's promises hold: in order,
exactly once, a hold stops everything behind it, nothing is left in ``sending``."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.clock import FakeClock
from kiosk.errors import OutboxError
from kiosk.submission import signing
from kiosk.submission.client import BackofficeClient
from kiosk.submission.outbox_schema import CaseState
from kiosk.submission.sender import Sender
from tests.kiosk.hostile_server import SECRET, TERMINAL, Fault, HostileServer
from tests.kiosk.submission.test_sender import POLICY, Rig, assert_exactly_once


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with HostileServer() as server:
        r = Rig(tmp_path, server, FakeClock(), pipelined=True)
        yield r
        r.sender.stop()
        r.outbox.close()
        r.client.close()


def test_a_backlog_goes_in_one_call_in_order(rig: Rig) -> None:
    refs = rig.enqueue(4, pages=2)
    assert rig.sender.drain() == 4
    assert rig.delivered_order() == refs
    assert_exactly_once(rig, refs)


def test_an_outage_stops_the_pipeline_before_the_next_case(rig: Rig) -> None:
    """The first case meets a 503: the queue is held and the case behind it was never
    claimed, let alone sent (it would have gone before the first one)."""
    refs = rig.enqueue(3)
    rig.server.inject(Fault(status=503))
    assert rig.sender.drain() == 1
    st = rig.outbox.stats()
    assert st.hold_until is not None and st.pending == 3 and st.sending == 0
    assert [rig.outbox.record(r).attempts for r in refs] == [1, 0, 0]  # type: ignore[union-attr]
    assert rig.server.created == 0
    assert isinstance(rig.clock, FakeClock)
    rig.clock.advance(POLICY.cap_s)
    rig.drain()
    assert rig.delivered_order() == refs
    assert_exactly_once(rig, refs)


def test_a_bad_case_lets_the_ones_behind_it_go_on(rig: Rig) -> None:
    refs = rig.enqueue(3)
    rig.server.inject(Fault(method="POST", status=500))
    assert rig.sender.drain() == 3
    first = rig.outbox.record(refs[0])
    assert first is not None and first.state is CaseState.PENDING
    assert [rig.outbox.record(r).state for r in refs[1:]] == [CaseState.DELIVERED] * 2  # type: ignore[union-attr]
    rig.drain()
    assert_exactly_once(rig, refs)


def test_a_failure_while_recording_leaves_no_case_in_sending(
        rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    """The outbox fails to record the first answer while the second case is out: both go
    back to pending (not stuck in ``sending`` until a restart), and are delivered once."""
    refs = rig.enqueue(3)
    real = rig.outbox.mark_delivered
    calls = []

    def broken(ref: str, number: str, received_at: str | None) -> None:
        calls.append(ref)
        if len(calls) == 1:
            raise OutboxError("disk I/O error")
        real(ref, number, received_at)

    monkeypatch.setattr(rig.outbox, "mark_delivered", broken)
    with pytest.raises(OutboxError):
        rig.sender.drain()
    st = rig.outbox.stats()
    assert st.sending == 0 and st.pending == 3
    rig.drain()
    assert_exactly_once(rig, refs)  # the first one's repeat got the same case


def test_stop_ends_the_pipeline_after_the_request_that_is_out(tmp_path: Path) -> None:
    with HostileServer() as server:
        rig = Rig(tmp_path, server, FakeClock(), pipelined=True)
        try:
            refs = rig.enqueue(3)
            real = rig.outbox.mark_delivered

            def then_stop(ref: str, number: str, received_at: str | None) -> None:
                rig.sender.stop()
                real(ref, number, received_at)

            rig.outbox.mark_delivered = then_stop  # type: ignore[method-assign,assignment]
            rig.sender.drain()
            states = [rig.outbox.record(r).state for r in refs]  # type: ignore[union-attr]
            # The first answer was recorded after the second case had gone out; nothing
            # went out after the stop.
            assert states == [CaseState.DELIVERED, CaseState.DELIVERED, CaseState.PENDING]
        finally:
            rig.outbox.close()
            rig.client.close()


def test_the_manifest_from_known_digests_is_the_hashed_one() -> None:
    parts = [b'{"case": 1}', b"page one", b"page two"]
    digests = [hashlib.sha256(p).hexdigest() for p in parts]
    assert signing.bundle_manifest(parts, digests) == signing.bundle_manifest(parts)
    with pytest.raises(ValueError):
        signing.bundle_manifest(parts, digests[:2])


def test_dead_back_office_holds_without_touching_the_rest(rig: Rig) -> None:
    refs = rig.enqueue(2)
    with HostileServer() as gone:
        dead_url = gone.url
    dead = BackofficeClient(dead_url, TERMINAL, SECRET, clock=rig.clock, connect_timeout_s=0.5)
    sender = Sender(rig.outbox, dead, POLICY, clock=rig.clock, rng=random.Random(2))
    assert sender.drain() == 1
    assert sender.drain() == 0  # held
    assert [rig.outbox.record(r).attempts for r in refs] == [1, 0]  # type: ignore[union-attr]
    dead.close()
