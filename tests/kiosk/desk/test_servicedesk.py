"""kiosk/desk/servicedesk.py: the small journeys wired to a back office, a printer and the
ticket counter; what the printouts carry."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from kiosk.clock import FakeClock
from kiosk.desk.servicedesk import ServiceDesk, queue_categories
from kiosk.desk.tasks import DailyTicketCounter
from kiosk.receipts import Document, ReceiptCatalog
from kiosk.receipts.service import ReceiptService
from kiosk.submission.client import CaseStatus
from kiosk.wiring.build import build_kiosk


class Job:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    def raise_for_error(self) -> None:
        if self.error is not None:
            raise self.error


class RecordingPrinter:
    """Keeps the documents it is given (the real drivers are tested in tests/devices)."""

    def __init__(self, error: Exception | None = None) -> None:
        self.docs: list[Document] = []
        self.error = error

    def print_document(self, doc: Document) -> Job:
        self.docs.append(doc)
        return Job(self.error)


class Cases:
    def __init__(self, cases: list[CaseStatus]) -> None:
        self.cases = cases

    def case_status(self, number_or_ref: str, token: str) -> CaseStatus:
        return next(c for c in self.cases if number_or_ref in (c.case_number, c.kiosk_ref))

    def applicant_cases(self, id_number: str, verification: Any) -> list[CaseStatus]:
        return self.cases


def case(code: str, state: str = "in_review", method: str | None = None) -> CaseStatus:
    return CaseStatus.model_validate({
        "case_number": "XS20261122000042", "kiosk_ref": "XD-261122-0042-K", "status": state,
        "received_at": "2026-11-22T09:30:00+08:00", "item_code": code,
        "owed_materials": [{"code": "JH", "name": "结婚证", "deadline": "2026-12-06"}],
        "collect": {"method": method, "place": "3号窗口", "note": ""} if method else None,
        "timeline": [{"status": "submitted", "at": "2026-11-22T09:30:00+08:00"},
                     {"status": state, "at": "2026-11-23T10:00:00+08:00", "note": "ok"}]})


def desk(tmp_path: Path, printer: RecordingPrinter | None, cases: list[CaseStatus]
         ) -> ServiceDesk:
    kiosk = build_kiosk(clock=FakeClock())
    letters = {c.id: c.letter for c in queue_categories(kiosk.catalog)}
    return ServiceDesk(clock=kiosk.clock, catalog=kiosk.catalog, site_name=kiosk.site.name,
                       query_base_url="https://q.example",
                       counter=DailyTicketCounter(tmp_path / "t.json", kiosk.clock, letters),
                       lookup=Cases(cases),
                       receipts=None if printer is None
                       else lambda lang: ReceiptService(cast(Any, printer), ReceiptCatalog(lang)))


def test_queue_categories_are_the_departments_lettered() -> None:
    kiosk = build_kiosk(clock=FakeClock())
    found = queue_categories(kiosk.catalog)
    assert [c.id for c in found] == [d.id for d in kiosk.catalog.departments]
    assert [c.letter for c in found[:3]] == ["A", "B", "C"]


def test_a_queue_ticket_is_numbered_and_printed(tmp_path: Path) -> None:
    printer = RecordingPrinter()
    d = desk(tmp_path, printer, [])
    second = d.categories()[1]
    journey = d.start("queue", "zh_CN")
    journey.fire("chose", service=second.id)
    assert journey.state == "done"
    assert journey.data.ticket is not None and journey.data.ticket["number"] == "B001"
    assert "B001" in printer.docs[0].text and second.name.zh_CN in printer.docs[0].text


def test_a_ticket_that_cannot_print_stays_on_screen(tmp_path: Path) -> None:
    from kiosk.errors import PaperOut
    d = desk(tmp_path, RecordingPrinter(PaperOut("paper out")), [])
    journey = d.start("queue", "en")
    journey.fire("chose", service=d.categories()[0].id)
    assert journey.state == "on_screen" and journey.view()["error_key"] == "error.paper_out"


def test_no_printer_and_no_back_office_fail_typed(tmp_path: Path) -> None:
    kiosk = build_kiosk(clock=FakeClock())
    d = kiosk.services.service_desk()
    d.dispatch = d.deliver = lambda w: w()
    assert d.receipts is None and d.lookup is None  # no devices, no back-office URL
    journey = d.start("progress", "zh_CN")
    journey.fire("qr_scanned", payload="XS20261122000042?t=" + "T" * 22)
    assert journey.state == "error" and journey.view()["error_key"] == "error.backoffice"


def test_query_slip_carries_timeline_owed_and_collect(tmp_path: Path) -> None:
    printer = RecordingPrinter()
    d = desk(tmp_path, printer, [])
    code = d.catalog.items[0].code
    d.print_query_slip(case(code, "ready_for_pickup", "window"), "zh_CN")
    text = printer.docs[0].text
    assert "XS20261122000042" in text and "结婚证" in text and "3号窗口" in text
    assert d.catalog.items[0].name.zh_CN in text
    assert d.item_name("NOT-OFFERED", "en") == "NOT-OFFERED"
    # a 两证联办 case is filed under its bundle's code: the slip names the bundle
    bundle = d.catalog.bundles[0]
    assert d.item_name(bundle.code, "zh_CN") == bundle.name.zh_CN


def test_certificate_prints_only_results_ready_at_the_kiosk(tmp_path: Path) -> None:
    printer = RecordingPrinter()
    code = build_kiosk(clock=FakeClock()).catalog.items[0].code
    d = desk(tmp_path, printer, [case(code, "in_review"), case(code, "ready_for_pickup",
                                                                "kiosk")])
    from tests.kiosk.journey_factory import identity
    journey = d.start("print", "zh_CN")
    journey.fire("card_read", identity=identity())
    assert journey.state == "list" and len(journey.data.cases) == 1
    journey.fire("select", index=0)
    assert journey.state == "done" and len(printer.docs) == 1
