"""Every item and bundle of the sample catalog runs from the card to a valid submission."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from kiosk.catalog import Catalog, load_catalog
from kiosk.clock import FakeClock
from kiosk.errors import WorkflowError
from kiosk.journey.apply import Journey, JourneySettings
from kiosk.journey.plan import plan_for
from kiosk.journey.script import to_rating
from kiosk.submission.reference import format_reference
from tests.kiosk.journey_factory import identity

ROOT = Path(__file__).resolve().parents[3]
CATALOG: Catalog = load_catalog(ROOT / "config" / "catalog")
SETTINGS = JourneySettings(site_id="township", terminal_id="XS-DEV-0001")
#: Citizen actions, as opposed to device events (card read, face result, printing).
TAPS = {"next", "back", "material_ticked", "all_ticked", "material_deferred", "page_added",
        "page_retaken", "page_deleted", "field_set", "signed", "rated", "retry", "reprint",
        "home", "cancel"}


def run(code: str, *, defer: bool) -> tuple[Journey, int]:
    j = Journey(plan_for(code, CATALOG), SETTINGS, clock=FakeClock())
    taps = 0

    def tap(trigger: str, **data: object) -> None:
        nonlocal taps
        taps += trigger in TAPS
        j.fire(trigger, **data)

    to_rating(j, identity(), fire=tap, defer=defer)
    return j, taps


OFFERED = [i.code for i in CATALOG.items if i.channel != "window_only"] + \
    [b.code for b in CATALOG.bundles]


@pytest.mark.parametrize("code", OFFERED)
def test_every_offered_item_reaches_a_valid_submission(code: str) -> None:
    for defer in (False, True):
        j, _ = run(code, defer=defer)
        assert j.state == "submitting", (code, j.state, j.view().get("fields"))
        cases = j.cases()
        assert len(cases) == len(j.plan.items)
        for n, case in enumerate(cases, 1):
            body = case.with_ref(format_reference("XD", date(2026, 11, 22), n)).submission_body()
            assert len(body) < 1024 * 1024
        if defer:
            owed = {d.code for c in cases for d in c.deferred}
            assert owed == {m.code for m in j.plan.materials if m.deferrable}


def test_taps_for_the_simplest_items_stay_within_the_goal() -> None:
    # At most 12 taps for a simple item (card and face are not taps).
    # One tap per value entered (the keypad's own presses are the screen's business).
    counts = {code: run(code, defer=False)[1] for code in OFFERED}
    assert counts["330109-HJ-001"] <= 12  # 身份证换领: 3 materials, 2 questions
    assert min(counts.values()) <= 6, counts


def test_window_only_items_have_no_kiosk_journey() -> None:
    code = next(i.code for i in CATALOG.items if i.channel == "window_only")
    with pytest.raises(WorkflowError, match="window"):
        Journey(plan_for(code, CATALOG), SETTINGS, clock=FakeClock())


def test_tables_print_for_review(capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk.journey.tables import main

    assert main(["330109-NY-B01"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("workflow journey 330109-NY-B01") and "all_ticked" in out
    assert main(["certificate"]) == 0 and "ready" in capsys.readouterr().out
    assert main(["NOPE"]) == 2


@pytest.mark.parametrize("code", ["330109-GJJ-005", "330109-NY-004", "330109-HJ-003"])
def test_all_ticked_without_a_promise_captures_every_deferrable_material(code: str) -> None:
    # 我都带齐了 with nothing deferred: a 容缺 material is required, so it is captured
    # and travels as pages (never silently left out with no commitment either).
    j, _ = run(code, defer=False)
    deferrable = {m.code for m in CATALOG.item(code).materials if m.deferrable}
    assert deferrable
    (case,) = j.cases()
    assert deferrable <= {m.code for m in case.materials if m.pages}
    assert case.deferred == ()


@pytest.mark.parametrize("code", ["330109-GJJ-005", "330109-NY-004"])
def test_a_deferred_material_travels_as_a_commitment_with_its_deadline(code: str) -> None:
    j, _ = run(code, defer=True)
    (case,) = j.cases()
    item = CATALOG.item(code)
    owed = {d.code: d.deadline for d in case.deferred}
    for m in item.materials:
        if m.deferrable:
            assert m.supplement_days is not None
            assert owed[m.code] == date(2026, 11, 22) + timedelta(days=m.supplement_days)
            assert m.code not in {p.code for p in case.materials}
