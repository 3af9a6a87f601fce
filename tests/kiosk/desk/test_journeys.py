"""Progress query, queue ticket and certificate journeys with their task runner."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from kiosk.clock import FakeClock
from kiosk.desk.journeys import (
    CertificateJourney,
    QueryJourney,
    ServiceJourney,
    TaskRunner,
    TicketJourney,
    case_ref_from_qr,
)
from kiosk.desk.tasks import (
    DailyTicketCounter,
    certificate_tasks,
    query_tasks,
    ticket_tasks,
)
from kiosk.errors import BackofficeUnreachable, PaperOut, WorkflowError
from kiosk.journey.machine import SAME
from kiosk.submission.cases import Verification
from kiosk.submission.client import CaseStatus
from tests.kiosk.journey_factory import ID_NUMBER, NAME, identity

TOKEN = "AbCdEfGhIjKlMnOpQrStUv"


def status(n: int, state: str = "in_review", collect: str | None = None) -> CaseStatus:
    return CaseStatus.model_validate({
        "case_number": f"XS20261122{n:06d}", "kiosk_ref": "XD-261122-0001-X",
        "status": state, "received_at": "2026-11-22T09:30:00+08:00", "item_code": "T-SIMPLE",
        "owed_materials": [{"code": "JH", "name": "结婚证", "deadline": "2026-12-06"}],
        "collect": {"method": collect, "place": "3号窗口", "note": ""} if collect else None,
        "timeline": [{"status": "submitted", "at": "2026-11-22T09:30:00+08:00", "note": ""},
                     {"status": state, "at": "2026-11-23T10:00:00+08:00", "note": "ok"}]})


class Lookup:
    def __init__(self, cases: list[CaseStatus], fail: int = 0) -> None:
        self.cases, self.fail = cases, fail
        self.asked: list[Any] = []

    def case_status(self, number_or_ref: str, token: str) -> CaseStatus:
        self.asked.append((number_or_ref, token))
        if self.fail:
            self.fail -= 1
            raise BackofficeUnreachable("refused")
        return self.cases[0]

    def applicant_cases(self, id_number: str, verification: Verification) -> list[CaseStatus]:
        self.asked.append((id_number, verification.method))
        if self.fail:
            self.fail -= 1
            raise BackofficeUnreachable("refused")
        return self.cases


def test_query_by_qr_goes_straight_to_the_timeline() -> None:
    j = QueryJourney()
    lookup = Lookup([status(1)])
    TaskRunner(j, query_tasks(j, lookup, FakeClock()))
    j.fire("qr_scanned", payload="garbage")
    assert j.state == "start" and j.view()["notice"] == "workflow.query.bad_qr"
    # A bare reference (typed, or an old QR) is not enough: the card is asked for.
    j.fire("qr_scanned", payload="https://kiosk.example.org/q/XD-261122-0001-X")
    assert j.state == "start" and j.view()["notice"] == "workflow.query.bad_qr"
    assert lookup.asked == []
    j.fire("qr_scanned", payload=f"https://kiosk.example.org/q/XD-261122-0001-X?t={TOKEN}")
    assert j.state == "timeline" and lookup.asked == [("XD-261122-0001-X", TOKEN)]
    case = j.view()["case"]
    assert case["status_key"] == "workflow.status.in_review"
    assert [t["status"] for t in case["timeline"]] == ["submitted", "in_review"]
    assert case["owed"][0]["deadline"] == "2026-12-06"
    j.fire("back")
    assert j.state == "start"


def test_query_by_card_lists_then_timeline_and_retries_after_failure() -> None:
    j = QueryJourney()
    lookup = Lookup([status(1), status(2, "approved")], fail=1)
    TaskRunner(j, query_tasks(j, lookup, FakeClock()))
    j.fire("card_read", identity=identity())
    assert j.state == "error" and j.view()["error_key"] == "error.backoffice"
    j.fire("retry")
    assert j.state == "results" and len(j.view()["cases"]) == 2
    assert lookup.asked[-1] == (ID_NUMBER, "card")
    assert j.view()["id_number"].startswith("330109****")
    with pytest.raises(WorkflowError):
        j.fire("select", index=7)
    j.fire("select", index=1)
    assert j.view()["case"]["status"] == "approved"
    j.fire("back")
    assert j.state == "results"
    j.fire("home")
    j.wipe()
    assert ID_NUMBER not in repr(vars(j.data)) and NAME not in repr(vars(j.data))


def test_qr_payloads() -> None:
    """A receipt's QR carries the reference and its query token; a bare number does not do."""
    assert case_ref_from_qr(f"XS20261122000042?t={TOKEN}") == ("XS20261122000042", TOKEN)
    assert case_ref_from_qr(f" https://x/q/XD-261122-0001-X?t={TOKEN} ") == (
        "XD-261122-0001-X", TOKEN)
    assert case_ref_from_qr("XS20261122000042") is None
    assert case_ref_from_qr("https://x/q/XD-261122-0001-X") is None
    assert case_ref_from_qr("https://x/q/XD-261122-0001-X?t=short") is None
    assert case_ref_from_qr(f"XD-261122-0001-8?t={TOKEN}") is None  # wrong check character
    assert case_ref_from_qr("") is None


def test_ticket_issued_printed_or_shown(tmp_path: Path) -> None:
    clock = FakeClock()
    counter = DailyTicketCounter(tmp_path / "tickets.json", clock, {"hj": "B"})

    class Printer:
        def __init__(self) -> None:
            self.fail = 1
            self.printed: list[str] = []

        def print_ticket(self, service: str, ticket: Any) -> None:
            if self.fail:
                self.fail -= 1
                raise PaperOut()
            self.printed.append(ticket["number"])

    printer = Printer()
    j = TicketJourney()
    TaskRunner(j, ticket_tasks(j, counter, printer))
    j.fire("chose", service="hj")
    assert j.state == "on_screen" and j.view()["ticket"]["number"] == "B001"
    j.fire("reprint")
    assert j.state == "done" and printer.printed == ["B001"]
    # A restart the same day continues the numbers; a new China day starts again.
    again = DailyTicketCounter(tmp_path / "tickets.json", clock, {"hj": "B"})
    assert again.issue("hj")["number"] == "B002"
    assert again.issue("other")["number"] == "A001"
    clock.advance(24 * 3600)
    assert again.issue("hj")["number"] == "B001"


def test_certificate_only_lists_results_ready_at_the_kiosk() -> None:
    printed: list[str] = []

    class Printer:
        def print_certificate(self, case: Any) -> None:
            printed.append(case.case_number)

    cases = [status(1), status(2, "ready_for_pickup", "window"),
             status(3, "ready_for_pickup", "kiosk")]
    j = CertificateJourney()
    TaskRunner(j, certificate_tasks(j, Lookup(cases), Printer(), FakeClock()))
    j.fire("card_read", identity=identity())
    assert j.state == "list" and [c["case_number"] for c in j.view()["cases"]] == [
        "XS20261122000003"]
    j.fire("select", index=0)
    assert j.state == "done" and printed == ["XS20261122000003"]
    k = CertificateJourney()
    TaskRunner(k, certificate_tasks(k, Lookup(cases[:2]), Printer(), FakeClock()))
    k.fire("card_read", identity=identity())
    assert k.state == "none_ready"
    k.fire("card_removed")
    assert k.state == "cancelled" and k.data.identity is None


@pytest.mark.parametrize("cls", [QueryJourney, TicketJourney, CertificateJourney])
def test_every_trigger_in_every_state_moves_per_table_or_raises(
        cls: type[ServiceJourney]) -> None:
    table = cls.TABLE
    payload: dict[str, Any] = {"identity": identity(), "payload": "XS20261122000001",
                               "cases": [status(1)], "index": 0, "service": "a",
                               "ticket": {"number": "A001"}, "error": PaperOut()}
    for state, trigger in itertools.product(table.states, table.triggers):
        j = cls()
        j._wf.reset(state)
        rows = table.rows_for(trigger, state)
        try:
            change = j.fire(trigger, **payload)
        except WorkflowError:
            assert j.state == state
            continue
        assert change.dest in {state if r.dest == SAME else r.dest for r in rows}
    print(table.describe())


def test_leaving_while_looking_up_ignores_the_late_answer() -> None:
    j = QueryJourney()
    queued: list[Any] = []
    TaskRunner(j, query_tasks(j, Lookup([status(1)]), FakeClock()), dispatch=queued.append)
    j.fire("card_read", identity=identity())
    assert j.state == "looking_up"
    j.fire("home")
    queued.pop()()
    assert j.state == "cancelled"
