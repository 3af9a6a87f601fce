"""Helpers for tests that talk to the back office: a signing client and sample cases.

Used by tests/backoffice and by kiosk-side tests that need a real back office.
``TerminalClient`` signs every request the way the kiosk does (kiosk.submission.signing)
and lets a test override any part of the signature to prove that the server
refuses it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from kiosk.clock import Clock
from kiosk.submission import signing

#: Run a test on SQLite and on PostgreSQL (the conftest's ``database_url``).
BOTH_DATABASES = pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    indirect=True)

TERMINAL_ID = "XS-TEST-0001"
#: The token of the "tester" admin account the test fixtures create.
STAFF_TOKEN = "tester.staff-token-for-tests"
JPEG = b"\xff\xd8\xff\xe0" + b"kiosk test page " * 64
#: make_case's kiosk reference (a valid one: prefix XD, 2026-11-22, number 42).
DEFAULT_REF = "XD-261122-0042-F"


class TerminalClient:
    """Signs requests as one terminal. """

    def __init__(self, client: Any, terminal_id: str, secret: bytes,
                 clock: Clock, suite: str = signing.DEFAULT_SUITE) -> None:
        self.suite = suite
        self.client = client
        self.terminal_id = terminal_id
        self.secret = secret
        self.clock = clock

    def headers(self, method: str, path: str, body: bytes, *, timestamp: float | None = None,
                nonce: str | None = None, secret: bytes | None = None,
                digest: str | None = None) -> dict[str, str]:
        """``digest``: sign (and declare) this body hash instead of the body's own."""
        ts = str(int(self.clock.now().timestamp() if timestamp is None else timestamp))
        nonce = nonce or signing.new_nonce()
        digest = digest or hashlib.sha256(body).hexdigest()
        return {
            "X-Terminal-Id": self.terminal_id,
            "X-Timestamp": ts,
            "X-Nonce": nonce,
            "X-Signature": signing.sign_digest(secret or self.secret, method, path, ts, nonce,
                                               digest, self.suite),
            signing.CONTENT_SHA256_HEADER: digest,
        }

    def request(self, method: str, path: str, *, body: bytes = b"", json_body: Any = None,
                headers: dict[str, str] | None = None, **sign_opts: Any) -> Any:
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode()
        all_headers = self.headers(method, path, body, **sign_opts)
        if json_body is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        return self.client.request(method, path, content=body, headers=all_headers)

    def put_material(self, data: bytes, content_type: str = "image/jpeg",
                     sha: str | None = None) -> Any:
        sha = sha or hashlib.sha256(data).hexdigest()
        return self.request("PUT", f"/api/v1/materials/{sha}", body=data,
                            headers={"Content-Type": content_type})

    def case_status(self, key: str, kiosk_ref: str = DEFAULT_REF) -> Any:
        """``GET /cases/{key}`` with the query token of ``kiosk_ref``'s receipt QR."""
        return self.request("GET", f"/api/v1/cases/{key}", headers={
            signing.CASE_TOKEN_HEADER: signing.query_token(self.secret, kiosk_ref)})

    def submit(self, case: dict[str, Any], key: str | None = None) -> Any:
        return self.request("POST", "/api/v1/cases", json_body=case,
                            headers={"Idempotency-Key": key or case["kiosk_ref"]})


def make_case(kiosk_ref: str = DEFAULT_REF, *, pages: list[bytes] | None = None,
              id_number: str = "11010519491231002X", terminal_id: str = TERMINAL_ID,
              verified_at: datetime | None = None, deferred: bool = True) -> dict[str, Any]:
    pages = [JPEG] if pages is None else pages
    at = (verified_at or datetime(2026, 11, 22, 1, 0, tzinfo=UTC)).isoformat()
    return {
        "schema": 1, "kiosk_ref": kiosk_ref, "item_code": "330109-HJ-001",
        "bundle_code": None, "site_id": "township", "terminal_id": terminal_id,
        "created_at": at,
        "applicant": {"id_number": id_number, "name": "张三", "sex": "1", "nation": "01",
                      "birth": "1949-12-31", "address": "杭州市萧山区", "card_type": "resident",
                      "card_valid_to": "长期"},
        "verification": {"method": "card+face", "score": 0.71, "verified_at": at},
        "form": {"phone": "13800000000"},
        "materials": [{"code": "M01", "name": "居民户口簿", "pages": [
            {"sha256": hashlib.sha256(p).hexdigest(), "content_type": "image/jpeg",
             "size": len(p)} for p in pages]}] if pages else [],
        "deferred_materials": ([{"code": "M03", "name": "婚姻状况证明",
                                 "deadline": "2026-12-06"}] if deferred else []),
        "signature": None,
        "rating": {"score": 5, "reasons": ["fast"]},
    }


async def read_body(receive: Any) -> bytes:
    """The whole body of an ASGI request, read from ``receive``."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def replay_to(app: Any, scope: dict[str, Any], body: bytes, receive: Any,
                    send: Any) -> None:
    """Hand ``app`` a request whose body was already read (and maybe rewritten)."""
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        result: dict[str, Any] = await receive()
        return result

    await app(scope, replay, send)
