"""A terminal lists an applicant's cases only right after verifying that applicant."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backoffice import staffops
from backoffice.app import create_app
from backoffice.settings import Settings
from kiosk.clock import FakeClock
from tests.backoffice.testing import JPEG, TerminalClient, make_case

ZHANG = "11010519491231002X"
LI = "330181199001011234"


@pytest.fixture
def two_applicants(terminal: TerminalClient) -> TerminalClient:
    assert terminal.put_material(JPEG).status_code == 201
    for ref, who in (("XD-261122-0001-X", ZHANG), ("XD-261122-0002-V", LI),
                     ("XD-261122-0003-T", ZHANG)):
        assert terminal.submit(make_case(ref, id_number=who)).status_code == 201
    return terminal


def _verify(terminal: TerminalClient, id_number: str, *, method: str = "card+face",
            score: float | None = 0.8) -> Any:
    return terminal.request("POST", "/api/v1/verifications", json_body={
        "id_number": id_number, "method": method, "score": score})


def _list(terminal: TerminalClient, verification_id: str) -> Any:
    return terminal.request("POST", "/api/v1/applicants/cases",
                            json_body={"verification_id": verification_id})


def _query(terminal: TerminalClient, id_number: str, *, method: str = "card+face",
           score: float | None = 0.8) -> Any:
    """Verify (the server records it), then list: what the kiosk's client does."""
    recorded = _verify(terminal, id_number, method=method, score=score)
    if recorded.status_code != 201:
        return recorded
    return _list(terminal, recorded.json()["verification_id"])


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


def test_a_verification_expires_by_the_servers_clock(two_applicants: TerminalClient,
                                                     clock: FakeClock) -> None:
    verification_id = _verify(two_applicants, ZHANG).json()["verification_id"]
    clock.advance(600)
    assert _list(two_applicants, verification_id).status_code == 200
    clock.advance(1)
    late = _list(two_applicants, verification_id)
    assert late.status_code == 403 and late.json()["error"] == "not_verified"


def test_the_terminals_own_claim_of_a_fresh_verification_is_not_enough(
        two_applicants: TerminalClient, clock: FakeClock) -> None:
    """The old shape (the terminal says whom it verified, and when) lists nothing."""
    r = two_applicants.request("POST", "/api/v1/applicants/cases", json_body={
        "id_number": ZHANG, "verification": {"method": "card", "verified_at":
                                             clock.now().isoformat()}})
    assert r.status_code == 422
    made_up = _list(two_applicants, "A" * 24)
    assert made_up.status_code == 403 and made_up.json()["error"] == "not_verified"


def test_a_verification_serves_only_its_terminal_and_a_few_listings(
        client: TestClient, two_applicants: TerminalClient, clock: FakeClock) -> None:
    from backoffice.routes.applicants import LISTINGS_PER_VERIFICATION

    verification_id = _verify(two_applicants, ZHANG).json()["verification_id"]
    other = TerminalClient(client, "XS-OTHER-0009", secrets.token_bytes(32), clock)
    staffops.register_terminal(client.app.state.sessions, other.terminal_id,  # type: ignore[attr-defined]
                               other.secret.hex(), clock.now(),
                               client.app.state.secret_box)  # type: ignore[attr-defined]
    assert _list(other, verification_id).status_code == 403
    for _ in range(LISTINGS_PER_VERIFICATION):
        assert _list(two_applicants, verification_id).status_code == 200
    assert _list(two_applicants, verification_id).status_code == 403


def test_every_listing_is_in_the_audit_log(client: TestClient,
                                           two_applicants: TerminalClient) -> None:
    from backoffice.audit import recent

    assert _query(two_applicants, ZHANG).status_code == 200
    log = recent(client.app.state.sessions).events  # type: ignore[attr-defined]
    assert [(e.actor, e.action) for e in log] == [
        (f"terminal:{two_applicants.terminal_id}", "list_applicant_cases")]
    assert ZHANG not in log[0].target and log[0].target.startswith(ZHANG[:6])
    assert "2 case(s)" in log[0].detail


def test_limits_are_shared_by_every_server_process(settings: Settings, secret: bytes,
                                                   two_applicants: TerminalClient,
                                                   clock: FakeClock) -> None:
    """A second app on the same database (another worker) sees the same count."""
    from backoffice.routes.applicants import VERIFICATIONS

    for _ in range(VERIFICATIONS.limit - 1):
        assert _verify(two_applicants, ZHANG).status_code == 201
    second = create_app(settings)
    with TestClient(second, raise_server_exceptions=False) as other_worker:
        twin = TerminalClient(other_worker, two_applicants.terminal_id, secret, clock)
        assert _verify(twin, ZHANG).status_code == 201
        r = _verify(twin, ZHANG)
        assert r.status_code == 429 and r.json()["error"] == "rate_limited"
    assert _verify(two_applicants, ZHANG).status_code == 429


def test_unsigned_listing_is_refused(two_applicants: TerminalClient) -> None:
    r = two_applicants.client.post("/api/v1/applicants/cases", json={"id_number": ZHANG})
    assert r.status_code == 401


def test_malformed_query(two_applicants: TerminalClient) -> None:
    r = two_applicants.request("POST", "/api/v1/applicants/cases",
                               json_body={"verification_id": "no spaces allowed here"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


def test_listings_are_rate_limited_per_terminal(two_applicants: TerminalClient,
                                                clock: FakeClock) -> None:
    from backoffice.routes.applicants import LISTINGS, LISTINGS_PER_VERIFICATION

    ids = [_verify(two_applicants, ZHANG).json()["verification_id"]
           for _ in range(LISTINGS.limit // LISTINGS_PER_VERIFICATION + 1)]
    for n in range(LISTINGS.limit):
        assert _list(two_applicants, ids[n // LISTINGS_PER_VERIFICATION]).status_code == 200
    r = _list(two_applicants, ids[-1])
    assert r.status_code == 429 and r.json()["error"] == "rate_limited"
    assert 1 <= int(r.headers["Retry-After"]) <= int(LISTINGS.window.total_seconds())
    clock.advance(LISTINGS.window.total_seconds())
    assert _query(two_applicants, LI).status_code == 200
