"""Text that is not Unicode never enters the outbox; a case the server keeps failing is parked.

A lone surrogate (``"\\ud800"``) is a Python ``str`` but not text: it cannot be
encoded as UTF-8, so no back office can accept it. The kiosk refuses it when
the case is stored (the citizen is still at the screen and can retype), and
a case that the back office answers with a server error again and again is
parked for staff with the reason, while the cases behind it are delivered.
"""

from __future__ import annotations

import dataclasses
import json
import random
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.clock import FakeClock
from kiosk.errors import TransientError, ValidationError
from kiosk.submission.crypto import Sealer
from kiosk.submission.outbox import Outbox
from kiosk.submission.outbox_schema import CaseState
from kiosk.submission.retry import RetryPolicy
from kiosk.submission.sender import PARK_AFTER, Sender
from tests.kiosk.case_factory import make_case

#: Any code point, lone surrogates included (hypothesis leaves them out by default).
SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
ANY_TEXT = st.text(st.one_of(st.characters(), SURROGATES), max_size=20)


def _outbox(tmp: Path, clock: FakeClock) -> Outbox:
    return Outbox(tmp / "outbox.sqlite3", Sealer(bytes(range(32))), ref_prefix="XD",
                  clock=clock)


def test_a_lone_surrogate_is_refused_before_it_is_stored(tmp_path: Path) -> None:
    with _outbox(tmp_path, FakeClock()) as outbox:
        case = dataclasses.replace(make_case("a"), form={"phone": "13800000000",
                                                         "remark": "好\ud800"})
        with pytest.raises(ValidationError) as refused:
            outbox.enqueue(case)
        assert refused.value.i18n_key == "form.error.unknown"
        assert outbox.stats().pending == 0
        # The refused attempt used no reference: the next case gets the first one.
        ref = outbox.enqueue(make_case("b"))
        assert ref.split("-")[2] == "0001"


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=ANY_TEXT, key=ANY_TEXT)
def test_any_form_text_is_stored_as_utf8_or_refused(tmp_path_factory: pytest.TempPathFactory,
                                                    value: str, key: str) -> None:
    clock = FakeClock()
    with _outbox(tmp_path_factory.mktemp("o"), clock) as outbox:
        case = dataclasses.replace(make_case("a"), form={"phone": "13800000000", key: value})
        try:
            ref = outbox.enqueue(case)
        except ValidationError:
            assert any(0xD800 <= ord(c) <= 0xDFFF for c in key + value)
            return
        item = outbox.claim_next()
        assert item is not None and item.kiosk_ref == ref
        assert json.loads(item.body.decode("utf-8"))["form"][key] == value


@dataclass
class _Receipt:
    case_number: str
    received_at: str


class _ServerThatFailsOneCase:
    """Answers 500 for one reference, every time; delivers every other case."""

    def __init__(self, poison_ref: str) -> None:
        self.poison_ref = poison_ref
        self.posts: list[str] = []

    def material_exists(self, sha256: str) -> bool:
        return True

    def upload_material(self, sha256: str, content_type: str, data: bytes) -> None:
        pass

    def create_case(self, kiosk_ref: str, body: bytes) -> _Receipt:
        self.posts.append(kiosk_ref)
        if kiosk_ref == self.poison_ref:
            raise TransientError("POST /api/v1/cases: HTTP 500 internal: boom")
        return _Receipt(f"XS{len(self.posts):06d}", "2026-11-22T01:30:00+00:00")


def test_a_case_the_server_keeps_failing_is_parked_and_the_rest_flows(tmp_path: Path) -> None:
    clock = FakeClock()
    policy = RetryPolicy(base_s=1, cap_s=60, multiplier=2, jitter=0.5)
    with _outbox(tmp_path, clock) as outbox:
        refs = [outbox.enqueue(make_case(f"c{i}")) for i in range(3)]
        server = _ServerThatFailsOneCase(refs[0])
        sender = Sender(outbox, server, policy, clock=clock, rng=random.Random(1))
        for _ in range(200):
            if not sender.drain_once():
                if outbox.stats().pending == 0:
                    break
                clock.advance(policy.cap_s)
        parked = outbox.record(refs[0])
        assert parked is not None and parked.state is CaseState.REFUSED
        assert f"parked after {PARK_AFTER} server errors" in (parked.reason or "")
        assert "500" in (parked.reason or "")
        assert server.posts.count(refs[0]) == PARK_AFTER
        for ref in refs[1:]:
            assert outbox.record(ref).state is CaseState.DELIVERED  # type: ignore[union-attr]
        # Parked means parked: the sender leaves it alone from now on.
        clock.advance(3600)
        assert sender.drain_once() is False


def test_the_count_survives_a_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    policy = RetryPolicy(base_s=1, cap_s=60, multiplier=2, jitter=0.5)
    with _outbox(tmp_path, clock) as outbox:
        ref = outbox.enqueue(make_case("c"))
    server = _ServerThatFailsOneCase(ref)
    for _ in range(PARK_AFTER):  # one attempt per "boot"
        with _outbox(tmp_path, clock) as outbox:
            Sender(outbox, server, policy, clock=clock, rng=random.Random(1)).drain_once()
        clock.advance(policy.cap_s)
    with _outbox(tmp_path, clock) as outbox:
        assert outbox.record(ref).state is CaseState.REFUSED  # type: ignore[union-attr]
