"""A terminal lists an applicant's cases only right after verifying that applicant."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from backoffice.testing import JPEG, TerminalClient, make_case
from kiosk.clock import FakeClock

ZHANG = "11010519491231002X"
LI = "330181199001011234"


@pytest.fixture
def two_applicants(terminal: TerminalClient) -> TerminalClient:
    assert terminal.put_material(JPEG).status_code == 201
    for ref, who in (("XD-261122-0001-X", ZHANG), ("XD-261122-0002-V", LI),
                     ("XD-261122-0003-T", ZHANG)):
        assert terminal.submit(make_case(ref, id_number=who)).status_code == 201
    return terminal


def _query(terminal: TerminalClient, id_number: str, *, method: str = "card+face",
           age_s: float = 30, score: float | None = 0.8) -> Any:
    at = terminal.clock.now() - timedelta(seconds=age_s)
    return terminal.request("POST", "/api/v1/applicants/cases", json_body={
        "id_number": id_number,
        "verification": {"method": method, "score": score, "verified_at": at.isoformat()}})


def test_lists_only_this_applicants_cases(two_applicants: TerminalClient) -> None:
    r = _query(two_applicants, ZHANG)
    assert r.status_code == 200, r.text
    refs = [c["kiosk_ref"] for c in r.json()["cases"]]
    assert sorted(refs) == ["XD-261122-0001-X", "XD-261122-0003-T"]
    r = _query(two_applicants, LI, method="sscard", score=None)
    assert [c["kiosk_ref"] for c in r.json()["cases"]] == ["XD-261122-0002-V"]


def test_lowercase_x_is_the_same_person(two_applicants: TerminalClient) -> None:
    r = _query(two_applicants, ZHANG.lower(), method="card")
    assert len(r.json()["cases"]) == 2


def test_nobody_gets_an_empty_list(two_applicants: TerminalClient) -> None:
    r = _query(two_applicants, "110105194912310037")
    assert r.status_code == 200 and r.json() == {"cases": []}


@pytest.mark.parametrize("method", ["staff", "password", "none"])
def test_method_that_does_not_verify_is_refused(two_applicants: TerminalClient,
                                                method: str) -> None:
    r = _query(two_applicants, ZHANG, method=method)
    assert r.status_code == 403 and r.json()["error"] == "not_verified"


@pytest.mark.parametrize("age_s", [601, 3600, -301])
def test_stale_or_future_verification_is_refused(two_applicants: TerminalClient,
                                                 age_s: float) -> None:
    r = _query(two_applicants, ZHANG, age_s=age_s)
    assert r.status_code == 403 and r.json()["error"] == "not_verified"


def test_fresh_verification_at_the_limit(two_applicants: TerminalClient) -> None:
    assert _query(two_applicants, ZHANG, age_s=600).status_code == 200


def test_a_verification_expires(two_applicants: TerminalClient, clock: FakeClock) -> None:
    at = clock.now()
    body = {"id_number": ZHANG, "verification": {"method": "card", "score": None,
                                                 "verified_at": at.isoformat()}}
    ok = two_applicants.request("POST", "/api/v1/applicants/cases", json_body=body)
    assert ok.status_code == 200
    clock.advance(601)
    late = two_applicants.request("POST", "/api/v1/applicants/cases", json_body=body)
    assert late.status_code == 403


def test_unsigned_listing_is_refused(two_applicants: TerminalClient) -> None:
    r = two_applicants.client.post("/api/v1/applicants/cases", json={"id_number": ZHANG})
    assert r.status_code == 401


def test_malformed_query(two_applicants: TerminalClient) -> None:
    r = two_applicants.request("POST", "/api/v1/applicants/cases",
                               json_body={"id_number": ZHANG})
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


def test_listings_are_rate_limited_per_terminal(two_applicants: TerminalClient,
                                                clock: FakeClock) -> None:
    from backoffice.routes.applicants import LISTING_WINDOW, LISTINGS_PER_WINDOW

    for _ in range(LISTINGS_PER_WINDOW):
        assert _query(two_applicants, ZHANG).status_code == 200
    r = _query(two_applicants, LI)
    assert r.status_code == 429 and r.json()["error"] == "rate_limited"
    assert int(r.headers["Retry-After"]) == int(LISTING_WINDOW.total_seconds())
    clock.advance(LISTING_WINDOW.total_seconds())
    assert _query(two_applicants, LI).status_code == 200
