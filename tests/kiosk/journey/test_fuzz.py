"""Random trigger sequences: only WorkflowError escapes, and a wipe always leaves nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.clock import FakeClock
from kiosk.desk.journeys import case_ref_from_qr
from kiosk.errors import CameraError, PaperOut, WorkflowError
from kiosk.journey.apply import Journey, JourneySettings, SubmitOutcome
from kiosk.journey.plan import plan_for
from tests.kiosk.journey_factory import (
    ID_NUMBER,
    JPEG,
    NAME,
    PNG,
    catalog,
    find_personal,
    identity,
)

CATALOG = catalog()
SETTINGS = JourneySettings(site_id="township", terminal_id="XS-DEV-0001", face_max_attempts=2)
OUTCOME = SubmitOutcome(("XD-261122-0001-X",), ("XS20261122000001",))
MOVES: list[tuple[str, dict[str, Any]]] = [
    ("card_read", {"identity": identity()}), ("card_removed", {}), ("face_ok", {"score": 0.9}),
    ("face_failed", {}), ("staff_verified", {"staff": "王"}), ("all_ticked", {}),
    ("material_ticked", {"code": "HK"}), ("material_ticked", {"code": "SB"}),
    ("material_ticked", {"code": "HK", "ticked": False}),
    ("material_deferred", {"code": "JH"}), ("page_added", {"data": JPEG}),
    ("page_deleted", {"index": 0}), ("page_retaken", {"index": 0, "data": JPEG + b"x"}),
    ("field_set", {"name": "phone", "value": "13800000000"}),
    ("field_set", {"name": "applicant_name", "value": ""}), ("signed", {"png": PNG}),
    ("rated", {"score": 4}), ("next", {}), ("back", {}), ("retry", {}), ("reprint", {}),
    ("submit_ok", {"outcome": OUTCOME}), ("submit_queued", {"outcome": OUTCOME}),
    ("submit_failed", {"error": PaperOut()}), ("printed", {}),
    ("print_failed", {"error": PaperOut()}), ("error", {"error": CameraError()}),
    ("timeout", {}), ("home", {}), ("nonsense", {}),
    ("card_failed", {"error": CameraError(), "final": False}),
    ("card_failed", {"error": CameraError(), "final": True}),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(code=st.sampled_from(["T-SIMPLE", "T-DEFER", "T-BUNDLE"]),
       moves=st.lists(st.sampled_from(range(len(MOVES))), max_size=40))
def test_random_sequences(code: str, moves: list[int]) -> None:
    j = Journey(plan_for(code, CATALOG), SETTINGS, clock=FakeClock())
    for index in moves:
        trigger, data = MOVES[index]
        before = j.state
        try:
            j.fire(trigger, **data)
        except WorkflowError:
            assert j.state == before
        assert j.state in j.table.states
        j.view()
        j.view("en")
    j.wipe()
    assert find_personal(j, (NAME, ID_NUMBER), set()) == []


@given(st.text(max_size=200))
def test_qr_payload_parser_never_raises(payload: str) -> None:
    ref = case_ref_from_qr(payload)
    assert ref is None or ref in payload
