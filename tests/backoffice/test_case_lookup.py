"""A case is shown to whoever holds its receipt's QR token, or its applicant's card; no one else."""

from __future__ import annotations

import secrets

from fastapi.testclient import TestClient

from backoffice import staffops
from backoffice.app import create_app
from backoffice.routes.cases import LOOKUPS
from backoffice.settings import Settings
from kiosk.clock import FakeClock
from kiosk.submission import signing
from tests.backoffice.testing import STAFF_TOKEN, TerminalClient, make_case


def _other_terminal(client: TestClient, clock: FakeClock, terminal_id: str) -> TerminalClient:
    other = TerminalClient(client, terminal_id, secrets.token_bytes(32), clock)
    staffops.register_terminal(client.app.state.sessions, terminal_id,  # type: ignore[attr-defined]
                               other.secret.hex(), clock.now(),
                               client.app.state.secret_box)  # type: ignore[attr-defined]
    return other


def test_a_case_number_alone_shows_nothing(terminal: TerminalClient) -> None:
    number = terminal.submit(make_case(pages=[])).json()["case_number"]
    r = terminal.request("GET", f"/api/v1/cases/{number}")
    assert (r.status_code, r.json()["error"]) == (403, "token_required")
    guessed = terminal.request("GET", f"/api/v1/cases/{number}",
                               headers={signing.CASE_TOKEN_HEADER: "A" * 22})
    unknown = terminal.case_status("XS20261122999999")
    assert guessed.status_code == unknown.status_code == 404
    assert guessed.json() == unknown.json()


def test_the_receipts_token_works_at_any_terminal(client: TestClient, terminal: TerminalClient,
                                                  clock: FakeClock) -> None:
    receipt = terminal.submit(make_case(pages=[])).json()
    elsewhere = _other_terminal(client, clock, "XS-ELSEWHERE-0001")
    # The token is the issuing terminal's (printed on its receipt), not the reader's.
    token = signing.query_token(terminal.secret, receipt["kiosk_ref"])
    for key in (receipt["case_number"], receipt["kiosk_ref"]):
        r = elsewhere.request("GET", f"/api/v1/cases/{key}",
                              headers={signing.CASE_TOKEN_HEADER: token})
        assert r.status_code == 200 and r.json()["case_number"] == receipt["case_number"]
    forged = elsewhere.case_status(receipt["case_number"], receipt["kiosk_ref"])
    assert forged.status_code == 404  # a token made with the reader's own key


def test_staff_notes_never_reach_a_terminal(client: TestClient, terminal: TerminalClient) -> None:
    number = terminal.submit(make_case(pages=[])).json()["case_number"]
    note = "内部：申请人材料疑似伪造，待核查"
    staff = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    r = client.post(f"/staff/cases/{number}/transitions", headers=staff,
                    json={"to": "accepted", "note": note})
    assert r.status_code == 200 and note in r.text  # staff see their notes
    assert note in client.get(f"/staff/cases/{number}", headers=staff).text
    shown = terminal.case_status(number)
    assert shown.status_code == 200 and note not in shown.text
    assert [t["note"] for t in shown.json()["timeline"]] == ["", ""]
    verified = terminal.request("POST", "/api/v1/verifications", json_body={
        "id_number": make_case()["applicant"]["id_number"], "method": "card"}).json()
    listed = terminal.request("POST", "/api/v1/applicants/cases",
                              json_body={"verification_id": verified["verification_id"]})
    assert listed.status_code == 200 and note not in listed.text


def test_lookups_are_rate_limited_per_terminal_for_every_server_process(
        settings: Settings, terminal: TerminalClient, secret: bytes, clock: FakeClock) -> None:
    terminal.submit(make_case(pages=[]))
    for _ in range(LOOKUPS.limit - 1):
        assert terminal.case_status("XD-261122-0042-F").status_code == 200
    with TestClient(create_app(settings), raise_server_exceptions=False) as worker:
        twin = TerminalClient(worker, terminal.terminal_id, secret, clock)
        assert twin.case_status("XD-261122-0042-F").status_code == 200
        over = twin.case_status("XD-261122-0042-F")
    assert over.status_code == 429 and "Retry-After" in over.headers
    assert terminal.case_status("XS20261122000001").status_code == 429
    clock.advance(LOOKUPS.window.total_seconds())
    assert terminal.case_status("XS20261122000001").status_code == 200
