"""Staff log in as themselves, with a role; guessing is slow; every action names its actor."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backoffice import staffauth
from backoffice.app import create_app
from backoffice.cli import main
from backoffice.settings import Settings
from backoffice.staffauth import FAILURES, StaffAuth
from kiosk.clock import FakeClock
from tests.backoffice.testing import TERMINAL_ID, TerminalClient, make_case


def _account(client: TestClient, name: str, role: str, clock: FakeClock) -> dict[str, str]:
    token = staffauth.add_account(client.app.state.sessions, name, role,  # type: ignore[attr-defined]
                                  clock.now())
    return {"Authorization": f"Bearer {token}"}


def test_the_database_keeps_no_usable_token(client: TestClient, settings: Settings,
                                            clock: FakeClock) -> None:
    token = _account(client, "wang", "staff", clock)["Authorization"].split()[1]
    secret = token.split(".", 1)[1]
    for path in settings.data_dir.glob("backoffice.sqlite3*"):
        assert secret.encode() not in path.read_bytes()
    assert client.get("/staff/cases", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 200


def test_each_role_sees_its_own_routes(client: TestClient, clock: FakeClock) -> None:
    staff = _account(client, "wang", "staff", clock)
    tech = _account(client, "li", "technician", clock)
    admin = _account(client, "zhao", "admin", clock)
    assert client.get("/staff/cases", headers=staff).status_code == 200
    r = client.get("/staff/terminals", headers=staff)
    assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    assert client.get("/staff/terminals", headers=tech).status_code == 200
    assert client.get("/staff/cases", headers=tech).status_code == 403
    assert client.get("/staff/audit", headers=staff).status_code == 403
    for path in ("/staff/cases", "/staff/terminals", "/staff/audit"):
        assert client.get(path, headers=admin).status_code == 200


def test_the_log_names_the_account_not_the_name_in_the_body(client: TestClient,
                                                            terminal: TerminalClient,
                                                            clock: FakeClock) -> None:
    number = terminal.submit(make_case(pages=[])).json()["case_number"]
    wang = _account(client, "wang", "staff", clock)
    r = client.post(f"/staff/cases/{number}/transitions", headers=wang,
                    json={"to": "accepted", "staff": "the director"})
    assert r.status_code == 200
    assert client.post(f"/staff/cases/{number}/materials/M03/received", headers=wang,
                       json={"staff": "someone"}).status_code == 200
    admin = _account(client, "zhao", "admin", clock)
    log = client.get("/staff/audit", headers=admin).json()["events"]
    assert [(e["actor"], e["action"], e["target"]) for e in log[:2]] == [
        ("staff:wang", "receive_material", number), ("staff:wang", "transition", number)]
    assert "the director" not in client.get(f"/staff/cases/{number}", headers=admin).text


def test_wrong_tokens_are_limited_across_server_processes(client: TestClient,
                                                          settings: Settings,
                                                          clock: FakeClock) -> None:
    good = _account(client, "wang", "staff", clock)
    for _ in range(FAILURES.limit - 1):
        r = client.get("/staff/cases", headers={"Authorization": f"Bearer wang.{'x' * 20}"})
        assert r.status_code == 401
    with TestClient(create_app(settings), raise_server_exceptions=False) as worker:
        assert worker.get("/staff/cases", headers={
            "Authorization": f"Bearer wang.{'y' * 20}"}).status_code == 401
        over = worker.get("/staff/cases", headers={"Authorization": f"Bearer wang.{'z' * 20}"})
        assert over.status_code == 429 and "Retry-After" in over.headers
    # Over the limit, even the right token waits (the guesser cannot tell it was right).
    assert client.get("/staff/cases", headers=good).status_code == 429
    clock.advance(FAILURES.window.total_seconds())
    assert client.get("/staff/cases", headers=good).status_code == 200


def test_a_removed_account_stops_working(client: TestClient, clock: FakeClock) -> None:
    staff = _account(client, "wang", "staff", clock)
    assert client.get("/staff/cases", headers=staff).status_code == 200
    staffauth.remove_account(client.app.state.sessions, "wang")  # type: ignore[attr-defined]
    clock.advance(StaffAuth.CACHE_S)
    assert client.get("/staff/cases", headers=staff).status_code == 401


def test_accounts_and_terminal_removal_from_the_cli(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    dd = ["--data-dir", str(tmp_path / "bo")]
    assert main(["terminal", "add", TERMINAL_ID, "--secret-file", str(tmp_path / "t.key"),
                 *dd]) == 0
    capsys.readouterr()
    assert main(["staff-account", "add", "wang", "--role", "staff", *dd]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("wang.") and len(token) > 30
    assert main(["staff-account", "list", *dd]) == 0
    assert capsys.readouterr().out == "wang\tstaff\n"
    assert main(["terminal", "remove", TERMINAL_ID, *dd]) == 0
    assert main(["terminal", "remove", TERMINAL_ID, *dd]) == 1
    capsys.readouterr()
    assert main(["terminal", "list", *dd]) == 0
    assert TERMINAL_ID not in capsys.readouterr().out


def test_a_removed_terminal_is_refused(client: TestClient, terminal: TerminalClient,
                                       clock: FakeClock) -> None:
    from backoffice import staffops
    from backoffice.auth import TerminalAuth

    assert terminal.request("GET", "/api/v1/catalog").status_code == 200
    staffops.remove_terminal(client.app.state.sessions, TERMINAL_ID, clock.now(),  # type: ignore[attr-defined]
                             "staff:zhao")
    clock.advance(TerminalAuth.SECRET_TTL_S)
    assert terminal.request("GET", "/api/v1/catalog").status_code == 401
