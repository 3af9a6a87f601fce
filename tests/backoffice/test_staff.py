"""Staff transitions follow the table; 容缺 and 补正 materials are owed until received."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from backoffice.schemas import CaseState
from backoffice.settings import REPO_ROOT
from backoffice.workflow import TRANSITIONS, allowed
from kiosk.catalog import load_catalog
from tests.backoffice.testing import JPEG, TerminalClient, make_case

S = CaseState


@pytest.fixture
def case_number(terminal: TerminalClient) -> str:
    assert terminal.put_material(JPEG).status_code == 201
    return str(terminal.submit(make_case()).json()["case_number"])


class Staff:
    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def move(self, number: str, to: str, **extra: Any) -> Any:
        return self.client.post(f"/staff/cases/{number}/transitions", headers=self.headers,
                                json={"to": to, "note": f"to {to}", "staff": "王", **extra})

    def receive(self, number: str, code: str) -> Any:
        return self.client.post(f"/staff/cases/{number}/materials/{code}/received",
                                headers=self.headers, json={"staff": "王"})


@pytest.fixture
def staff(client: TestClient, staff_headers: dict[str, str]) -> Staff:
    return Staff(client, staff_headers)


def test_table_matches_the_contract() -> None:
    assert allowed(S.SUBMITTED, S.ACCEPTED)
    assert allowed(S.IN_REVIEW, S.NEEDS_SUPPLEMENT)
    assert allowed(S.NEEDS_SUPPLEMENT, S.IN_REVIEW)
    assert not allowed(S.SUBMITTED, S.APPROVED)
    assert TRANSITIONS[S.REJECTED] == TRANSITIONS[S.COLLECTED] == frozenset()
    assert set(TRANSITIONS) == set(CaseState)


def test_happy_path_to_collected(staff: Staff, terminal: TerminalClient,
                                 case_number: str) -> None:
    for to in ("accepted", "in_review", "approved", "ready_for_pickup", "collected"):
        r = staff.move(case_number, to)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == to
    status = terminal.case_status(case_number).json()
    assert [t["status"] for t in status["timeline"]] == [
        "submitted", "accepted", "in_review", "approved", "ready_for_pickup", "collected"]
    collect = status["collect"]
    assert collect["method"] == "window" and collect["place"] == "township"
    hukou = next(i for i in load_catalog(REPO_ROOT / "config" / "catalog").items
                 if i.code == "330109-HJ-001")
    assert collect["note"] == hukou.collect.zh_CN[:200]


def test_collect_can_be_given(staff: Staff, case_number: str) -> None:
    for to in ("accepted", "in_review", "approved"):
        staff.move(case_number, to)
    r = staff.move(case_number, "ready_for_pickup",
                   collect={"method": "kiosk", "place": "any terminal", "note": "print"})
    assert r.json()["collect"]["method"] == "kiosk"


@pytest.mark.parametrize(("path", "to"), [
    ((), "approved"), ((), "collected"), (("accepted",), "ready_for_pickup"),
    (("rejected",), "accepted"), (("accepted", "in_review", "approved"), "in_review"),
])
def test_refused_transitions(staff: Staff, case_number: str, path: tuple[str, ...],
                             to: str) -> None:
    for step in path:
        assert staff.move(case_number, step).status_code == 200
    r = staff.move(case_number, to)
    assert r.status_code == 409
    assert r.json()["error"] == "bad_transition"


def test_unknown_status_is_invalid(staff: Staff, case_number: str) -> None:
    r = staff.move(case_number, "teleported")
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


def test_unknown_case(staff: Staff) -> None:
    assert staff.move("XS20990101000001", "accepted").status_code == 404


def test_deferred_material_owed_until_received(staff: Staff, terminal: TerminalClient,
                                               case_number: str) -> None:
    def owed() -> list[str]:
        status = terminal.case_status(case_number).json()
        return [m["code"] for m in status["owed_materials"]]

    assert owed() == ["M03"]
    assert staff.receive(case_number, "M03").status_code == 200
    assert owed() == []
    r = staff.receive(case_number, "M03")
    assert r.status_code == 404


def test_supplement_returns_to_review_when_received(staff: Staff, case_number: str) -> None:
    staff.move(case_number, "accepted")
    staff.move(case_number, "in_review")
    r = staff.move(case_number, "needs_supplement",
                   materials=[{"code": "M07", "name": "补充证明", "deadline": "2026-12-01"}])
    assert r.status_code == 200
    assert [m["code"] for m in r.json()["owed_materials"]] == ["M03", "M07"]
    r = staff.receive(case_number, "M07")
    assert r.json()["status"] == "needs_supplement"  # M03 is still owed
    r = staff.receive(case_number, "M03")
    assert r.json()["status"] == "in_review"
    assert r.json()["timeline"][-1]["note"] == "material M03 received"


def test_materials_only_with_supplement(staff: Staff, case_number: str) -> None:
    r = staff.move(case_number, "accepted", materials=[{"code": "M07", "name": "x"}])
    assert r.status_code == 422


def test_staff_list_and_show_mask_the_applicant(client: TestClient, case_number: str,
                                                staff_headers: dict[str, str]) -> None:
    listing = client.get("/staff/cases?status=submitted", headers=staff_headers).json()
    assert [c["case_number"] for c in listing["cases"]] == [case_number]
    shown = client.get(f"/staff/cases/{case_number}", headers=staff_headers).json()
    assert shown["applicant"] == {"id_number": "110105********002X", "name": "张*"}
    assert shown["materials"][0]["code"] == "M01"
    assert client.get("/staff/cases?status=collected", headers=staff_headers).json() == {
        "cases": []}
