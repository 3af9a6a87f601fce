"""Fleet control in the back office: commands queued by a technician, carried by every
heartbeat reply until a result arrives (each signed with the terminal's key), results
recorded once; site settings with their own version and ETag; diagnostic bundles."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backoffice import staffauth
from backoffice.cli import main as cli
from backoffice.settings import Settings
from kiosk.clock import FakeClock
from kiosk.submission import signing
from tests.backoffice.testing import TERMINAL_ID, TerminalClient

BUNDLE_LIMIT = 64 * 1024


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A small bundle limit: the test sends one byte more than it."""
    return dataclasses.replace(settings, max_diagnostic_bundle_bytes=BUNDLE_LIMIT)


BEAT = {"time": "2026-11-22T09:00:00+08:00", "devices": {}, "site_id": "township"}
REASON = "设备维护中，预计 15:00 恢复"


def beat(terminal: TerminalClient, body: dict[str, object] | None = None) -> dict[str, object]:
    r = terminal.request("POST", "/api/v1/terminals/heartbeat", json_body=body or BEAT)
    assert r.status_code == 200, r.text
    reply: dict[str, object] = r.json()
    return reply


def test_commands_are_delivered_signed_until_a_result(
        client: TestClient, terminal: TerminalClient, staff_headers: dict[str, str],
        secret: bytes, clock: FakeClock) -> None:
    path = f"/staff/terminals/{TERMINAL_ID}/commands"
    r = client.post(path, json={"kind": "enter_maintenance", "args": {"reason": REASON}},
                    headers=staff_headers)
    assert r.status_code == 201, r.text
    command = r.json()
    assert command["status"] == "pending" and command["requested_by"] == "staff:tester"
    first = beat(terminal)["commands"]
    again = beat(terminal)["commands"]  # no result yet: delivered again
    assert isinstance(first, list) and isinstance(again, list)
    assert [c["id"] for c in first] == [c["id"] for c in again] == [command["id"]]
    sent = first[0]
    assert sent["args"] == {"reason": REASON}
    assert signing.verify_command(secret, sent["signature"], TERMINAL_ID, sent["id"],
                                  sent["kind"], sent["args"], sent["issued_at"])
    # another terminal's key, or another terminal id, does not verify
    assert not signing.verify_command(b"x" * 32, sent["signature"], TERMINAL_ID, sent["id"],
                                      sent["kind"], sent["args"], sent["issued_at"])
    assert not signing.verify_command(secret, sent["signature"], "XS-OTHER", sent["id"],
                                      sent["kind"], sent["args"], sent["issued_at"])
    result = {"ok": True, "detail": "maintenance on", "data": {"reason": REASON}}
    url = f"/api/v1/terminals/commands/{command['id']}/result"
    assert terminal.request("POST", url, json_body=result).json()["status"] == "done"
    # posted twice (an answer lost): the first result stays
    twice = terminal.request("POST", url, json_body={"ok": False, "detail": "again"})
    assert twice.status_code == 200 and twice.json()["result"]["detail"] == "maintenance on"
    assert beat(terminal)["commands"] == []
    listed = client.get(path, headers=staff_headers).json()["commands"]
    assert listed[0]["status"] == "done" and listed[0]["deliveries"] == 2
    unknown = terminal.request("POST", "/api/v1/terminals/commands/cmd-" + "0" * 24 + "/result",
                               json_body=result)
    assert unknown.status_code == 404


def test_command_routes_need_the_technician_role(client: TestClient, settings: Settings,
                                                 clock: FakeClock) -> None:
    token = staffauth.add_account(client.app.state.sessions,  # type: ignore[attr-defined]
                                  "clerk", "staff", clock.now())
    tech = staffauth.add_account(client.app.state.sessions,  # type: ignore[attr-defined]
                                 "tech", "technician", clock.now())
    path = f"/staff/terminals/{TERMINAL_ID}/commands"
    body = {"kind": "print_test_page"}
    assert client.post(path, json=body, headers={"Authorization": f"Bearer {token}"}
                       ).status_code == 403
    ok = client.post(path, json=body, headers={"Authorization": f"Bearer {tech}"})
    assert ok.status_code == 201 and ok.json()["requested_by"] == "staff:tech"
    bad = client.post(path, json={"kind": "enter_maintenance"},
                      headers={"Authorization": f"Bearer {tech}"})
    assert bad.status_code == 422 and "reason" in bad.json()["detail"]
    nowhere = client.post("/staff/terminals/XS-NOPE/commands", json=body,
                          headers={"Authorization": f"Bearer {tech}"})
    assert nowhere.status_code == 404
    # the CLI queues the same way
    args = ["--data-dir", str(settings.data_dir)]
    assert cli(["command", "add", TERMINAL_ID, "restart_app", *args]) == 0
    assert cli(["command", "list", TERMINAL_ID, *args]) == 0


def test_site_settings_have_their_own_version_and_etag(
        terminal: TerminalClient, settings: Settings, tmp_path: Path) -> None:
    r = terminal.request("GET", "/api/v1/sites/township/settings")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["version"] == 1 and doc["settings"]["idle"]["timeout_s"] == 120
    assert beat(terminal)["settings"] == {"site_id": "township", "version": 1,
                                          "digest": doc["digest"]}
    same = terminal.request("GET", "/api/v1/sites/township/settings",
                            headers={"If-None-Match": r.headers["ETag"]})
    assert same.status_code == 304
    profile = tmp_path / "township.yaml"
    text = (settings.sites_dir / "township.yaml").read_text(encoding="utf-8")
    profile.write_text(text.replace("timeout_s: 120", "timeout_s: 150"), encoding="utf-8")
    args = ["--data-dir", str(settings.data_dir)]
    assert cli(["settings", "publish", "township", str(profile), *args]) == 0
    new = terminal.request("GET", "/api/v1/sites/township/settings",
                           headers={"If-None-Match": r.headers["ETag"]})
    assert new.status_code == 200 and new.json()["version"] == 2
    assert new.json()["settings"]["idle"]["timeout_s"] == 150
    # an item the catalog does not have is refused with the kiosk's own message
    profile.write_text(text.replace("catalog: {}", "catalog: {items: [NO-SUCH-ITEM]}"),
                       encoding="utf-8")
    assert cli(["settings", "publish", "township", str(profile), *args]) == 1
    assert terminal.request("GET", "/api/v1/sites/nowhere/settings").status_code == 404


def test_bundle_upload_is_signed_over_the_path_and_limited(
        client: TestClient, terminal: TerminalClient, staff_headers: dict[str, str],
        secret: bytes) -> None:
    data = b"PK\x03\x04" + b"diagnostics " * 100
    sha = hashlib.sha256(data).hexdigest()
    path = f"/api/v1/terminals/bundles/{sha}"
    zip_type = {"Content-Type": "application/zip"}
    forged = terminal.request("PUT", path, body=data, headers=zip_type, secret=b"y" * 32)
    assert forged.status_code == 401
    assert terminal.request("PUT", path, body=data, headers=zip_type).status_code == 201
    got = client.get(f"/staff/terminals/{TERMINAL_ID}/bundles/{sha}", headers=staff_headers)
    assert got.status_code == 200 and got.content == data
    other = hashlib.sha256(b"PK\x03\x04 other").hexdigest()
    wrong = terminal.request("PUT", f"/api/v1/terminals/bundles/{other}", body=data,
                             headers=zip_type, digest=other)
    assert wrong.status_code == 400 and wrong.json()["error"] == "hash_mismatch"
    big = b"\0" * (BUNDLE_LIMIT + 1)
    big_sha = hashlib.sha256(big).hexdigest()
    too_big = terminal.request("PUT", f"/api/v1/terminals/bundles/{big_sha}", body=big,
                               headers=zip_type)
    assert too_big.status_code == 413
    assert terminal.request("PUT", path, body=data,
                            headers={"Content-Type": "text/plain"}).status_code == 415
