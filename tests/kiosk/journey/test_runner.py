"""The journey runner: cases go into the real outbox before any receipt prints."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from kiosk.catalog import load_catalog
from kiosk.catalog.workdays import load_calendar
from kiosk.clock import FakeClock
from kiosk.config.model import ROOT
from kiosk.errors import OutboxFull
from kiosk.journey.apply import Journey, JourneySettings
from kiosk.journey.plan import plan_for
from kiosk.journey.runner import JourneyRunner, ReceiptContext
from kiosk.journey.script import to_review
from kiosk.receipts.builders import build_acceptance
from kiosk.receipts.texts import ReceiptCatalog
from kiosk.submission.crypto import Sealer
from kiosk.submission.outbox import Outbox
from kiosk.submission.outbox_schema import CaseState
from tests.fakes import ReceiptPrinter
from tests.kiosk.journey_factory import ID_NUMBER, JPEG, NAME, PNG, catalog, identity

SETTINGS = JourneySettings(site_id="township", terminal_id="XS-DEV-0001")


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.sqlite3", Sealer(os.urandom(32)), ref_prefix="XD",
                 clock=FakeClock(), max_pending_cases=10)
    yield box
    box.close()


@dataclass
class Record:
    case_number: str | None


class Waiter:
    """Stands in for the sender thread: answers a case number for some references."""

    def __init__(self, numbers: dict[int, str]) -> None:
        self.numbers = numbers
        self.calls: list[tuple[str, float]] = []

    def submit_and_wait(self, ref: str, timeout_s: float) -> Record | None:
        self.calls.append((ref, timeout_s))
        number = self.numbers.get(len(self.calls))
        return Record(number)


def to_submit(code: str, defer: tuple[str, ...] = ()) -> Journey:
    j = Journey(plan_for(code, catalog()), SETTINGS, clock=FakeClock())
    j.fire("card_read", identity=identity())
    if j.plan.needs_face:
        j.fire("face_ok", score=0.8)
    for m in j.plan.asked_materials:
        if m.code in defer:
            j.fire("material_deferred", code=m.code)
        elif m.required:
            j.fire("material_ticked", code=m.code)
    j.fire("next")
    while j.state.startswith("capture:"):
        j.fire("page_added", data=JPEG + j.state.encode())
        j.fire("next")
    j.fire("field_set", name="phone", value="13800000000")
    j.fire("next")
    if j.state == "signature":
        j.fire("signed", png=PNG)
    j.fire("next")
    return j


def runner(j: Journey, outbox: Outbox, waiter: Waiter | None,
           printer: ReceiptPrinter) -> JourneyRunner:
    return JourneyRunner(j, queue=outbox, waiter=waiter, printer=printer,
                         context=ReceiptContext("萧山区城厢街道便民服务中心",
                                                "https://kiosk.example.org",
                                                query_token=lambda ref: f"tok-{ref}"),
                         clock=FakeClock(), submit_wait_s=8.0)


def test_case_is_in_the_outbox_before_the_receipt_prints(outbox: Outbox) -> None:
    j = to_submit("T-SIMPLE")
    printer = ReceiptPrinter()
    r = runner(j, outbox, Waiter({1: "XS20261122000001"}), printer)
    j.fire("rated", score=5)
    assert j.state == "done"
    (ref,) = r.enqueued.values()
    record = outbox.record(ref)
    assert record is not None and record.state is CaseState.PENDING
    (receipt,) = printer.printed
    assert receipt.kiosk_ref == ref and receipt.case_number == "XS20261122000001"
    assert receipt.applicant_name == NAME and receipt.id_number == ID_NUMBER
    assert not receipt.queued_offline
    assert j.data.outcome is not None and not j.data.outcome.forwarded


def test_back_office_silent_gives_a_forwarded_receipt(outbox: Outbox) -> None:
    j = to_submit("T-SIMPLE")
    printer = ReceiptPrinter()
    runner(j, outbox, None, printer)
    j.fire("next")
    assert j.state == "done"
    assert printer.printed[0].queued_offline and printer.printed[0].case_number is None


def test_bundle_prints_one_receipt_per_item_and_owes_deferred(outbox: Outbox) -> None:
    j = to_submit("T-BUNDLE")
    printer = ReceiptPrinter()
    waiter = Waiter({1: "XS20261122000001"})
    r = runner(j, outbox, waiter, printer)
    j.fire("next")
    assert j.state == "done" and len(r.enqueued) == 2 and len(printer.printed) == 2
    assert j.data.outcome is not None and j.data.outcome.forwarded  # second had no number
    assert waiter.calls[0][1] == 8.0
    assert [p.case_number for p in printer.printed] == ["XS20261122000001", None]


def test_paper_out_keeps_the_case_and_offers_reprint(outbox: Outbox) -> None:
    j = to_submit("T-DEFER", defer=("JH",))
    printer = ReceiptPrinter(fail=1)
    r = runner(j, outbox, None, printer)
    j.fire("next")
    assert j.state == "reprint" and j.view()["error_key"] == "error.paper_out"
    (ref,) = r.enqueued.values()
    # the screen's QR is the receipt's: the progress link with the case's token (a
    # bare reference opens nothing since a look-up needs the token or the card)
    assert j.view()["qr"] == f"https://kiosk.example.org/q/{ref}?t=tok-{ref}"
    assert outbox.stats().pending == 1
    j.fire("reprint")
    assert j.state == "done"
    assert printer.printed[0].materials_owed[0].name == "材料JH"


def test_outbox_full_fails_then_retry_does_not_enqueue_twice(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3", Sealer(os.urandom(32)), ref_prefix="XD",
                 clock=FakeClock(), max_pending_cases=1)
    try:
        j = to_submit("T-BUNDLE")
        r = runner(j, box, None, ReceiptPrinter())
        j.fire("next")
        assert j.state == "submit_failed"
        assert j.view()["error_key"] == OutboxFull.i18n_key
        assert list(r.enqueued) == ["T-B1"]
        assert j.view()["partial"]
        box.max_pending_cases = 5
        j.fire("retry")
        assert j.state == "done"
        assert box.stats().pending == 2 and len(r.enqueued) == 2
    finally:
        box.close()


def test_giving_up_on_a_half_stored_bundle_still_prints_its_receipt(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3", Sealer(os.urandom(32)), ref_prefix="XD",
                 clock=FakeClock(), max_pending_cases=1)
    try:
        j = to_submit("T-BUNDLE")
        printer = ReceiptPrinter()
        runner(j, box, None, printer)
        j.fire("next")
        assert j.state == "submit_failed"
        j.fire("home")
        assert j.state == "done"
        assert [p.kiosk_ref for p in printer.printed] == [box.records()[0].kiosk_ref]
        assert printer.printed[0].item_name == "事项T-B1"
    finally:
        box.close()


def test_dispatch_and_deliver_are_used(outbox: Outbox) -> None:
    j = to_submit("T-SIMPLE")
    queued: list[object] = []
    JourneyRunner(j, queue=outbox, waiter=None, printer=ReceiptPrinter(),
                  context=ReceiptContext("s", "https://q"), clock=FakeClock(),
                  dispatch=queued.append)
    j.fire("next")
    assert j.state == "submitting" and len(queued) == 1
    queued.pop()()  # type: ignore[operator]
    assert j.state == "printing" and len(queued) == 1


# --------------------------------------------------------------------------- when and where

REAL = load_catalog(ROOT / "config" / "catalog")
CALENDAR = load_calendar(ROOT / "config" / "holidays.yaml")


def real_to_submit(code: str, clock: FakeClock) -> Journey:
    """An item of the shipped catalog, driven to submission with plausible answers."""
    j = Journey(plan_for(code, REAL), SETTINGS, clock=clock)
    to_review(j, identity())
    j.fire("next")
    return j


@pytest.mark.parametrize(("code", "filed", "promised", "collect"), [
    # 婚姻登记档案省内异地查档: 0 working days, filed on a Sunday -> Monday.
    ("330109-MZ-002", datetime(2026, 11, 22, 1, 0, tzinfo=UTC), date(2026, 11, 23),
     "凭回执到区婚姻登记处当场补证"),
    # 兽医执业注册: 5 working days from Friday 25 Sep 2026 (中秋 25-27 Sep, 国庆 1-7 Oct,
    # Saturday 10 Oct worked): 28, 29, 30 Sep, 8, 9 Oct.
    ("330109-NY-003", datetime(2026, 9, 24, 16, 30, tzinfo=UTC), date(2026, 10, 9),
     "统一出件窗口领取"),
])
def test_receipts_say_when_and_where(outbox: Outbox, code: str, filed: datetime,
                                     promised: date, collect: str) -> None:
    clock = FakeClock(filed)
    j = real_to_submit(code, clock)
    printer = ReceiptPrinter()
    JourneyRunner(j, queue=outbox, waiter=None, printer=printer,
                  context=ReceiptContext("萧山区城厢街道便民服务中心", "https://kiosk.example.org",
                                         calendar=CALENDAR), clock=clock)
    j.fire("next")
    assert j.state == "done"
    (receipt,) = printer.printed
    assert receipt.promised_date == promised
    assert receipt.collection is not None and collect in receipt.collection.instruction
    # The printed 受理回执 carries both, and not the generic "we will text you" line.
    text = build_acceptance(receipt, ReceiptCatalog("zh_CN")).text
    assert f"{promised.year}年{promised.month}月{promised.day}日" in text
    assert collect in text and "办结后短信通知领取方式" not in text
    # ... and the done screen's view model.
    (ww,) = j.view()["when_where"]
    assert ww == {"promised_date": promised.isoformat(),
                  "promised_days": REAL.item(code).promised_days,
                  "collection": REAL.item(code).collect.zh_CN}


def test_a_promised_date_beyond_the_holiday_data_is_not_guessed_but_the_limit_is_printed(
        outbox: Outbox, caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock(datetime(2026, 12, 28, 2, 0, tzinfo=UTC))   # + 5 days reaches 2027
    j = real_to_submit("330109-NY-003", clock)
    printer = ReceiptPrinter()
    JourneyRunner(j, queue=outbox, waiter=None, printer=printer,
                  context=ReceiptContext("站点", "https://q", calendar=CALENDAR), clock=clock)
    with caplog.at_level(logging.WARNING):
        j.fire("next")
    (receipt,) = printer.printed
    assert receipt.promised_date is None and receipt.collection is not None
    assert "2027" in caplog.text
    # The citizen still learns the time limit: no date is guessed, the working days are printed.
    days = REAL.item("330109-NY-003").promised_days
    assert days is not None and receipt.promised_days == days
    text = build_acceptance(receipt, ReceiptCatalog("zh_CN")).text
    assert f"受理之日起{days}个工作日内" in text
