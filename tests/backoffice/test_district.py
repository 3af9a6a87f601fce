"""One district, several back-office machines: every piece of shared state is in the
database (nonces, rate limits, staff logins, heartbeats, cases) or in the one shared
blob directory, so a request may land on any machine.

Each "machine" here is an app of its own with its own data directory (its own SQLite
engine pool, caches and purge timers), sharing only what a district shares: the
PostgreSQL database, the master key file and the blob directory.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backoffice import staffauth, staffops
from backoffice.app import create_app
from backoffice.settings import Settings
from kiosk.clock import FakeClock
from kiosk.submission import signing
from tests.backoffice.testing import JPEG, STAFF_TOKEN, TERMINAL_ID, TerminalClient, make_case

pytestmark = pytest.mark.postgres


@pytest.fixture
def machines(tmp_path: Path, clock: FakeClock, postgres_database: str,
             secret: bytes) -> Iterator[list[TerminalClient]]:
    shared_blobs = tmp_path / "shared-blobs"
    key = tmp_path / "shared" / "master.key"
    apps = [create_app(Settings(data_dir=tmp_path / f"machine-{n}", clock=clock,
                                database_url=postgres_database, master_key_file=key,
                                blob_root=shared_blobs)) for n in range(2)]
    first = apps[0].state
    staffops.register_terminal(first.sessions, TERMINAL_ID, secret.hex(), clock.now(),
                               first.secret_box)
    staffauth.add_account(first.sessions, "tester", "admin", clock.now(), token=STAFF_TOKEN)
    clients = [TestClient(app, raise_server_exceptions=False) for app in apps]
    for c in clients:
        c.__enter__()
    try:
        yield [TerminalClient(c, TERMINAL_ID, secret, clock) for c in clients]
    finally:
        for c in clients:
            c.__exit__(None, None, None)


def test_a_page_uploaded_to_one_machine_serves_a_case_on_another(
        machines: list[TerminalClient], tmp_path: Path) -> None:
    a, b = machines
    assert a.put_material(JPEG).status_code == 201
    assert b.request("HEAD", f"/api/v1/materials/{hashlib.sha256(JPEG).hexdigest()}"
                     ).status_code == 200
    r = b.submit(make_case())
    assert r.status_code == 201, r.text
    sha = hashlib.sha256(JPEG).hexdigest()
    assert (tmp_path / "shared-blobs" / sha[:2] / sha).read_bytes() == JPEG


def test_a_nonce_used_on_one_machine_is_refused_on_the_other(
        machines: list[TerminalClient]) -> None:
    a, b = machines
    headers = a.headers("GET", "/api/v1/catalog", b"")
    assert a.client.get("/api/v1/catalog", headers=headers).status_code == 200
    replay = b.client.get("/api/v1/catalog", headers=headers)
    assert replay.status_code == 401 and replay.json()["error"] == "replayed_nonce"


def test_rate_limits_and_failed_logins_are_counted_across_machines(
        machines: list[TerminalClient]) -> None:
    a, b = machines
    # A heartbeat through one machine is what the other shows the technician.
    beat = {"time": "2026-11-22T09:00:00+08:00", "devices": {"printer": {"state": "ready"}}}
    assert a.request("POST", "/api/v1/terminals/heartbeat", json_body=beat).status_code == 200
    shown = b.client.get("/staff/terminals",
                         headers={"Authorization": f"Bearer {STAFF_TOKEN}"}).json()
    assert shown["terminals"][0]["health"]["devices"]["printer"]["state"] == "ready"
    # Failed staff logins: half on each machine, the limit is one count.
    bad = {"Authorization": f"Bearer tester.{secrets.token_urlsafe(24)}"}
    limit = staffauth.FAILURES.limit
    answers = [(a if n % 2 else b).client.get("/staff/cases", headers=bad).status_code
               for n in range(limit + 1)]
    assert answers[:limit] == [401] * limit and answers[limit] == 429


def test_a_bundle_on_one_machine_and_its_repeat_on_the_other(
        machines: list[TerminalClient]) -> None:
    a, b = machines
    case = make_case()
    parts = [signing_body(case), JPEG]
    answers = [send(t, parts, case["kiosk_ref"]) for t in (a, b)]
    assert [r.status_code for r in answers] == [201, 200]
    assert answers[0].json()["case_number"] == answers[1].json()["case_number"]


def signing_body(case: dict[str, object]) -> bytes:
    import json

    return json.dumps(case, ensure_ascii=False).encode()


def send(terminal: TerminalClient, parts: list[bytes], ref: str) -> object:
    manifest = signing.bundle_manifest(parts)
    headers = terminal.headers("POST", "/api/v1/case-bundles", b"",
                               digest=signing.bundle_digest(manifest))
    headers.update({"Content-Type": signing.BUNDLE_CONTENT_TYPE, "Idempotency-Key": ref,
                    signing.BUNDLE_HEADER: manifest})
    return terminal.client.post("/api/v1/case-bundles", content=b"".join(parts),
                                headers=headers)
