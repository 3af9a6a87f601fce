"""取消办理: ends at once while nothing was handed over, asks first afterwards."""

from __future__ import annotations

from kiosk.clock import FakeClock
from kiosk.journey.apply import Journey, JourneySettings
from kiosk.journey.plan import plan_for
from tests.kiosk.journey_factory import catalog, identity

SETTINGS = JourneySettings(site_id="township", terminal_id="XS-DEV-0001")


def journey(code: str = "T-SIMPLE") -> Journey:
    return Journey(plan_for(code, catalog()), SETTINGS, clock=FakeClock())


def test_leave_before_any_data_ends_without_a_question() -> None:
    j = journey()
    assert "leave" in j.view()["triggers"]
    j.fire("leave")
    assert j.ended and j.state == "cancelled" and j.end_reason == "cancel"


def test_leave_after_the_card_was_read_asks_first() -> None:
    j = journey()
    j.fire("card_read", identity=identity())
    assert j.state == "checklist" and not j.view()["confirm_leave"]
    j.fire("leave")
    view = j.view()
    assert not j.ended and j.state == "checklist"
    assert view["confirm_leave"] and {"cancel", "stay"} <= set(view["triggers"])
    # 继续办理: the question goes away and nothing the citizen did is lost.
    j.fire("material_ticked", code="HK")
    j.fire("stay")
    assert not j.view()["confirm_leave"] and j.data.ticked == {"HK"}
    j.fire("leave")
    j.fire("cancel")
    assert j.state == "cancelled" and j.end_reason == "cancel"


def test_leave_on_the_form_asks_and_confirming_ends() -> None:
    j = journey()
    j.fire("card_read", identity=identity())
    j.fire("material_ticked", code="HK")
    j.fire("next")
    j.fire("page_added", data=b"\xff\xd8\xff\xe0" + b"page" * 100)
    j.fire("next")
    assert j.state == "form"
    j.fire("leave")
    assert j.view()["confirm_leave"] and not j.ended
    j.fire("cancel")
    assert j.ended and j.state == "cancelled"


def test_no_question_after_the_case_is_in_the_outbox() -> None:
    j = journey()
    assert "leave" in j.table.triggers
    for state in ("printing", "reprint", "done"):
        assert all(state not in t.sources or t.trigger != "leave"
                   for t in j.table.transitions)
