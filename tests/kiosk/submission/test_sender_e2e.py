"""End to end against the real back office (uvicorn subprocess on loopback):
exactly once, in order, through a whole outage; refusals kept for staff."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from kiosk.clock import SystemClock
from kiosk.submission.client import BackofficeClient
from kiosk.submission.crypto import Sealer
from kiosk.submission.outbox import Outbox
from kiosk.submission.outbox_schema import CaseState
from kiosk.submission.retry import RetryPolicy
from kiosk.submission.sender import Sender
from tests.kiosk.case_factory import make_case
from tests.kiosk.crash.live_backoffice import LiveBackoffice

FAST = RetryPolicy(base_s=0.05, cap_s=0.5, multiplier=2, jitter=0.5)


class Kiosk:
    def __init__(self, tmp: Path, bo: LiveBackoffice) -> None:
        clock = SystemClock()
        self.outbox = Outbox(tmp / "outbox.sqlite3", Sealer(bytes(range(32))),
                             ref_prefix="XD", clock=clock)
        self.client = BackofficeClient(bo.url, bo.terminal_id, bo.secret, clock=clock,
                                       connect_timeout_s=1, read_timeout_s=10)
        self.sender = Sender(self.outbox, self.client, FAST, clock=clock,
                             rng=random.Random(5), idle_s=0.2)

    def close(self) -> None:
        self.sender.stop()
        self.outbox.close()
        self.client.close()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveBackoffice]:
    bo = LiveBackoffice(tmp_path)
    try:
        yield bo
    finally:
        bo.stop()


@pytest.fixture
def kiosk(tmp_path: Path, live: LiveBackoffice) -> Iterator[Kiosk]:
    k = Kiosk(tmp_path, live)
    yield k
    k.close()


def refs_in_backoffice(bo: LiveBackoffice) -> list[str]:
    """Kiosk references in the order the back office numbered the cases."""
    cases = sorted(bo.staff_cases(), key=lambda c: c["case_number"])
    return [c["kiosk_ref"] for c in cases]


def test_delivered_exactly_once_with_case_numbers(live: LiveBackoffice, kiosk: Kiosk) -> None:
    live.start()
    kiosk.sender.start()
    refs = [kiosk.outbox.enqueue(make_case(f"e{i}", pages=2)) for i in range(5)]
    rec = kiosk.sender.submit_and_wait(refs[-1], timeout_s=60)
    assert rec is not None and rec.state is CaseState.DELIVERED
    assert rec.case_number and rec.case_number.startswith("XS")
    assert refs_in_backoffice(live) == refs
    # A repeat of the same key and body (an answer lost on the way) is the same case.
    again = kiosk.client.create_case(refs[0], make_case("e0", pages=2).with_ref(refs[0])
                                     .submission_body())
    assert again.case_number == kiosk.outbox.record(refs[0]).case_number  # type: ignore[union-attr]
    assert refs_in_backoffice(live) == refs


def test_outage_for_many_cases_then_backlog_drains_in_order(live: LiveBackoffice,
                                                            kiosk: Kiosk) -> None:
    kiosk.sender.start()
    refs = []
    for i in range(20):
        # enqueue returning is the moment the receipt prints with the kiosk reference
        refs.append(kiosk.outbox.enqueue(make_case(f"o{i}", pages=1)))
        rec = kiosk.sender.submit_and_wait(refs[-1], timeout_s=0.05 if i else 1.0)
        # The receipt says "forwarded": no case number (the sender may be mid-attempt).
        assert rec is not None and rec.case_number is None
        assert rec.state in (CaseState.PENDING, CaseState.SENDING)
    st = kiosk.outbox.stats()
    assert st.pending == 20 and st.delivered == 0
    live.start()
    kiosk.sender.wake()
    rec = kiosk.sender.submit_and_wait(refs[-1], timeout_s=120)
    assert rec is not None and rec.state is CaseState.DELIVERED
    assert refs_in_backoffice(live) == refs
    st = kiosk.outbox.stats()
    assert (st.pending, st.delivered, st.refused) == (0, 20, 0)


def test_server_refusal_is_filed_as_refused(live: LiveBackoffice, kiosk: Kiosk) -> None:
    live.start()
    good = kiosk.outbox.enqueue(make_case("ok"))
    # The back office refuses a case that names another terminal (422 invalid_case).
    bad = kiosk.outbox.enqueue(replace(make_case("bad"), terminal_id="XS-OTHER-0001"))
    while kiosk.sender.drain_once():
        pass
    rec = kiosk.outbox.record(bad)
    assert rec is not None and rec.state is CaseState.REFUSED and rec.http_status == 422
    assert "invalid_case" in (rec.reason or "")
    assert kiosk.outbox.record(good).state is CaseState.DELIVERED  # type: ignore[union-attr]
    assert kiosk.outbox.stats().refused == 1
    assert refs_in_backoffice(live) == [good]
