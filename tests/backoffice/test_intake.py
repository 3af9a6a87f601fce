"""Idempotent case intake, on SQLite and on a real PostgreSQL server.

The same kiosk reference and body give the same receipt; a different body is a
conflict; identical submissions racing in threads make exactly one case.
"""

from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backoffice.app import create_app
from backoffice.models import Case
from backoffice.settings import Settings
from kiosk.clock import FakeClock
from kiosk.submission.reference import format_reference
from tests.backoffice.testing import BOTH_DATABASES, JPEG, TerminalClient, make_case

pytestmark = BOTH_DATABASES
THREADS = 8


def _upload(terminal: TerminalClient, *pages: bytes) -> None:
    for page in pages:
        assert terminal.put_material(page).status_code in (200, 201)


def _case_count(client: TestClient) -> int:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(Case)) or 0)


def test_submit_creates_case(terminal: TerminalClient) -> None:
    _upload(terminal, JPEG)
    r = terminal.submit(make_case())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body == {"case_number": "XS20261122000001", "kiosk_ref": "XD-261122-0042-F",
                    "status": "submitted", "received_at": "2026-11-22T01:00:00Z"}


def test_same_key_same_body_same_receipt(terminal: TerminalClient, clock: FakeClock) -> None:
    _upload(terminal, JPEG)
    case = make_case()
    first = terminal.submit(case)
    clock.advance(3600)
    again = terminal.submit(case)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    # Key order and whitespace do not make a different body.
    raw = json.dumps(dict(reversed(list(case.items()))), indent=3, ensure_ascii=False).encode()
    r = terminal.request("POST", "/api/v1/cases", body=raw,
                         headers={"Idempotency-Key": case["kiosk_ref"],
                                  "Content-Type": "application/json"})
    assert r.status_code == 200 and r.json() == first.json()
    assert _case_count(terminal.client) == 1


def test_same_key_different_body_conflicts(terminal: TerminalClient) -> None:
    _upload(terminal, JPEG)
    case = make_case()
    assert terminal.submit(case).status_code == 201
    case["form"]["phone"] = "13900000000"
    r = terminal.submit(case)
    assert r.status_code == 409
    assert r.json()["error"] == "idempotency_conflict"
    assert _case_count(terminal.client) == 1


def test_missing_materials(terminal: TerminalClient) -> None:
    other = b"\xff\xd8 another page"
    _upload(terminal, JPEG)
    case = make_case(pages=[JPEG, other])
    case["signature"] = {"sha256": "ab" * 32, "content_type": "image/png", "size": 10}
    r = terminal.submit(case)
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "missing_materials"
    assert sorted(body["missing"]) == sorted(
        [case["materials"][0]["pages"][1]["sha256"], "ab" * 32])
    assert _case_count(terminal.client) == 0
    _upload(terminal, other)
    case["signature"] = None
    assert terminal.submit(case).status_code == 201


def test_concurrent_identical_submissions_make_one_case(terminal: TerminalClient) -> None:
    _upload(terminal, JPEG)
    case = make_case()
    barrier = threading.Barrier(THREADS)

    def submit(_: int) -> tuple[int, Any]:
        barrier.wait(timeout=30)
        r = terminal.submit(case)
        return r.status_code, r.json()

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(submit, range(THREADS)))
    statuses = sorted(code for code, _ in results)
    assert statuses == [200] * (THREADS - 1) + [201], results
    assert len({body["case_number"] for _, body in results}) == 1
    assert _case_count(terminal.client) == 1


def test_concurrent_different_cases_get_distinct_numbers(terminal: TerminalClient) -> None:
    _upload(terminal, JPEG)
    barrier = threading.Barrier(THREADS)

    def submit(i: int) -> str:
        barrier.wait(timeout=30)
        r = terminal.submit(make_case(format_reference("XD", date(2026, 11, 22), i + 1)))
        assert r.status_code == 201, r.text
        return str(r.json()["case_number"])

    with ThreadPoolExecutor(THREADS) as pool:
        numbers = list(pool.map(submit, range(THREADS)))
    assert sorted(numbers) == [f"XS20261122{n:06d}" for n in range(1, THREADS + 1)]


def test_case_numbers_follow_the_china_date(terminal: TerminalClient, clock: FakeClock) -> None:
    _upload(terminal, JPEG)
    assert terminal.submit(make_case("XD-261122-0001-X")).json()["case_number"] \
        == "XS20261122000001"
    clock.advance(15 * 3600)  # 16:00 UTC = 00:00 the next day in China
    number = terminal.submit(make_case("XD-261123-0001-1")).json()["case_number"]
    assert re.fullmatch(r"XS20261123000001", number)


def test_two_servers_on_one_database_share_one_truth(terminal: TerminalClient,
                                                     settings: Settings) -> None:
    """Several server processes behind a proxy: uniqueness and nonces live in the database."""
    _upload(terminal, JPEG)
    other_app = create_app(settings)  # its own engine and pool, like another process
    with TestClient(other_app, raise_server_exceptions=False) as other_client:
        other = TerminalClient(other_client, terminal.terminal_id, terminal.secret,
                               terminal.clock)
        # A request replayed to the other server is still a replay.
        headers = terminal.headers("GET", "/api/v1/catalog", b"")
        assert terminal.client.get("/api/v1/catalog", headers=headers).status_code == 200
        replay = other_client.get("/api/v1/catalog", headers=headers)
        assert replay.status_code == 401 and replay.json()["error"] == "replayed_nonce"

        case = make_case()
        barrier = threading.Barrier(THREADS)

        def submit(i: int) -> tuple[int, str]:
            barrier.wait(timeout=30)
            r = (terminal if i % 2 else other).submit(case)
            return r.status_code, str(r.json().get("case_number"))

        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(submit, range(THREADS)))
    assert sorted(code for code, _ in results) == [200] * (THREADS - 1) + [201], results
    assert len({number for _, number in results}) == 1
    assert _case_count(terminal.client) == 1
