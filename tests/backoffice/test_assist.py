"""呼叫工作人员 in the back office: a signed terminal raises an assistance request (the
same one again while it is open), staff list and close it; a request carries the
terminal, item and step, and refuses anything else, such as a name or an ID number."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backoffice import assist
from backoffice.cli import open_sessions
from backoffice.schemas import AssistCall
from backoffice.settings import Settings
from kiosk.clock import FakeClock
from tests.backoffice.testing import TerminalClient


def call(terminal: TerminalClient, **body: Any) -> Any:
    return terminal.request("POST", "/api/v1/assist", json_body=body)


def test_a_request_is_raised_listed_and_closed(client: TestClient, terminal: TerminalClient,
                                               staff_headers: dict[str, str],
                                               clock: FakeClock) -> None:
    first = call(terminal, item_code="330109-HJ-003", step="capture:HUKOU-BOOK")
    assert first.status_code == 201, first.text
    ticket = first.json()
    assert ticket["number"].startswith("H") and len(ticket["number"]) == 4
    assert ticket["terminal_id"] == terminal.terminal_id and ticket["closed_at"] is None
    clock.advance(30)
    again = call(terminal, item_code="330109-HJ-003", step="form")
    assert again.status_code == 200  # pressed again: the same request, at the new step
    assert again.json()["id"] == ticket["id"] and again.json()["step"] == "form"
    listed = client.get("/staff/assist", headers=staff_headers).json()["requests"]
    assert [r["id"] for r in listed] == [ticket["id"]]
    closed = client.post(f"/staff/assist/{ticket['id']}/close", headers=staff_headers)
    assert closed.status_code == 200 and closed.json()["closed_by"] == "tester"
    assert client.get("/staff/assist", headers=staff_headers).json()["requests"] == []
    history = client.get("/staff/assist?all=true", headers=staff_headers).json()
    assert history["requests"][0]["closed_at"] is not None
    fresh = call(terminal, step="identity")  # a later citizen: a new request
    assert fresh.status_code == 201 and fresh.json()["id"] != ticket["id"]
    assert fresh.json()["item_code"] is None


@pytest.mark.parametrize("body", [
    {"step": "form", "name": "张三"},
    {"step": "form", "id_number": "330109198503120043"},
    {"step": "张三"},
    {"step": "form", "item_code": "330109 HJ"},
    {},
])
def test_only_where_never_who(terminal: TerminalClient, body: dict[str, Any]) -> None:
    answer = call(terminal, **body)
    assert answer.status_code == 422, answer.text
    assert "330109198503120043" not in answer.text and "张三" not in answer.text


def test_unsigned_calls_and_other_roles_are_refused(client: TestClient,
                                                    staff_headers: dict[str, str]) -> None:
    assert client.post("/api/v1/assist", json={"step": "form"}).status_code == 401
    assert client.get("/staff/assist").status_code == 401
    assert client.post("/staff/assist/999/close", headers=staff_headers).status_code == 404


def test_an_id_beyond_the_database_integer_is_a_clear_400_not_a_500(
        client: TestClient, staff_headers: dict[str, str]) -> None:
    # SQLite raised OverflowError binding it (found by the schema fuzzer); PostgreSQL's
    # integer column ends at 2**31 - 1.
    for huge in (2**31, 2**63, 10**30):
        answer = client.post(f"/staff/assist/{huge}/close", headers=staff_headers)
        assert answer.status_code == 400, (huge, answer.status_code, answer.text)
        assert answer.json()["error"] == "bad_request"


def test_staff_see_and_close_requests_on_the_command_line(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    settings = Settings(data_dir=tmp_path / "bo")
    factory = open_sessions(settings)
    now = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    made, _new = assist.raise_request(factory, "XS-DEV-0001",
                                      AssistCall(item_code="330109-HJ-003", step="form"), now)
    factory.kw["bind"].dispose()

    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "backoffice.cli", "assist", *args,
                               "--data-dir", str(tmp_path / "bo")], cwd=root,
                              capture_output=True, text=True, timeout=120, check=True)
        return done.stdout

    assert made.number in cli("list") and "330109-HJ-003" in cli("list")
    assert '"closed_by": "desk-1"' in cli("close", str(made.id), "--staff", "desk-1")
    assert cli("list") == ""
    assert "closed" in cli("list", "--all")
