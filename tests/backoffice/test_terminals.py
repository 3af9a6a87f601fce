"""Terminal heartbeats store device health; staff see it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kiosk.clock import FakeClock
from tests.backoffice.testing import TERMINAL_ID, TerminalClient

BEAT = {
    "time": "2026-11-22T09:00:00+08:00",
    "devices": {"printer": {"state": "UNAVAILABLE", "media": "EMPTY", "reason": "paper out"},
                "idcard": {"state": "READY", "media": "ABSENT", "reason": None}},
    "outbox": {"pending": 3, "refused": 1},
}


def test_heartbeat_is_stored(terminal: TerminalClient, client: TestClient, clock: FakeClock,
                             staff_headers: dict[str, str]) -> None:
    clock.advance(5)
    r = terminal.request("POST", "/api/v1/terminals/heartbeat", json_body=BEAT)
    assert r.status_code == 200, r.text
    reply = r.json()
    assert reply["server_time"] == "2026-11-22T01:00:05Z"
    assert reply["catalog"]["version"] == "2026.11-sample.1" and reply["commands"] == []
    assert reply["settings"] is None  # the beat named no site
    listing = client.get("/staff/terminals", headers=staff_headers).json()
    assert listing == {"terminals": [{
        "id": TERMINAL_ID, "ref_prefix": None, "last_seen_at": "2026-11-22T01:00:05Z",
        "health": {**BEAT, "time": "2026-11-22T09:00:00+08:00"}}]}


def test_heartbeat_with_a_failed_update_is_stored_as_sent(
        terminal: TerminalClient, client: TestClient, staff_headers: dict[str, str]) -> None:
    """An installed terminal reports its release and the last upgrade it rolled back
    (scripts/install); staff see it with the terminal's health."""
    release = {"version": "1.1.0", "failed": {
        "version": "1.2.0", "previous": "1.1.0", "at": "2026-11-22T01:00:00+00:00",
        "reason": "self-test failed (1): kiosk.wiring.journey does not import"}}
    r = terminal.request("POST", "/api/v1/terminals/heartbeat",
                         json_body={**BEAT, "release": release})
    assert r.status_code == 200, r.text
    listing = client.get("/staff/terminals", headers=staff_headers).json()
    assert listing["terminals"][0]["health"]["release"] == release
    bad = terminal.request("POST", "/api/v1/terminals/heartbeat",
                           json_body={**BEAT, "release": {"version": "1", "extra": 1}})
    assert bad.status_code == 422


def test_heartbeat_without_outbox(terminal: TerminalClient) -> None:
    r = terminal.request("POST", "/api/v1/terminals/heartbeat",
                         json_body={"time": BEAT["time"], "devices": {}})
    assert r.status_code == 200


def test_bad_heartbeat(terminal: TerminalClient) -> None:
    r = terminal.request("POST", "/api/v1/terminals/heartbeat",
                         json_body={"time": "yesterday", "devices": {}})
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
    assert "time" in r.json()["detail"]


def test_heartbeat_needs_a_signature(client: TestClient) -> None:
    r = client.post("/api/v1/terminals/heartbeat", json=BEAT)
    assert r.status_code == 401
