"""Property-based API testing from the app's own OpenAPI document (schemathesis).

Every operation gets generated requests, and every check schemathesis has runs on
the answers: no 5xx; documented status codes, content types, headers and schemas;
schema-valid data accepted and schema-violating data refused; a missing required
header refused; unsupported methods answered 405 with ``Allow``; requests without
or with wrong credentials refused (``ignored_auth``). The back office runs on a
real loopback server (schemathesis re-sends requests for some checks), behind a
proxy that signs a request as the terminal only when it carries the credential
this test hands schemathesis, so that wrong and missing credentials reach the app
as sent. Bounded: a few examples per operation, about a minute in all.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS as REGISTERED_CHECKS

from backoffice import ratelimit, staffauth, staffops
from backoffice.app import create_app
from backoffice.cli import openapi_text
from backoffice.settings import REPO_ROOT, Settings
from kiosk.clock import SystemClock
from kiosk.submission import signing
from kiosk.submission.reference import format_reference
from tests.backoffice.testing import BOTH_DATABASES, STAFF_TOKEN, TERMINAL_ID, read_body, replay_to

pytestmark = BOTH_DATABASES
EXAMPLES_PER_OPERATION = 12
#: Every check schemathesis has (positive and negative data, missing headers,
#: unsupported methods, ignored auth, use after free, ...), not a chosen few.
CHECKS = list(REGISTERED_CHECKS.get_all())
#: The terminal credential handed to schemathesis: the proxy replaces it with a real
#: signature; schemathesis' own variations of it (removed, wrong) are left as they are.
SIGN_ME = "sign-me"


@pytest.fixture(scope="module")
def postgres_database(postgres_server: str) -> str:
    """One database for every operation (creating one per operation costs seconds): the
    conftest's ``database_url`` takes it instead of a fresh one per test."""
    import psycopg

    dsn = postgres_server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute('CREATE DATABASE "schemathesis"')
    return f"{postgres_server}/schemathesis"


@pytest.fixture
def server(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh back office per operation on a loopback port, behind the proxies."""
    # ignored_auth sends wrong staff tokens on purpose, over and over: past the failure
    # limit they would be 429 (tests/backoffice/test_staff_accounts.py checks that limit).
    monkeypatch.setattr(staffauth, "FAILURES", ratelimit.Limit(
        "staff-login-failures", 10**9, timedelta(minutes=10)))
    clock = SystemClock()
    app = create_app(Settings(data_dir=tmp_path / "bo",
                              catalog_dir=REPO_ROOT / "config" / "catalog", clock=clock,
                              database_url=database_url))
    secret = b"k" * 32
    staffops.register_terminal(app.state.sessions, TERMINAL_ID, secret.hex(), clock.now(),
                               app.state.secret_box)
    staffauth.add_account(app.state.sessions, "tester", "admin", clock.now(), token=STAFF_TOKEN)
    front = CaseAligner(CredentialProxy(app, TERMINAL_ID, secret, clock))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(front, log_config=None, access_log=False,
                                       lifespan="on"))  # the app's shutdown closes its pools
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if uv.started:
            break
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(10)


class CredentialProxy:
    """Signs a request as the terminal when, and only when, it carries ``SIGN_ME`` as its
    ``X-Signature``: the signature must cover the exact bytes schemathesis sends, which
    only this side of the transport sees. Any other request (no signature, a wrong one)
    reaches the app unchanged. Staff routes get the real token from the test directly."""

    def __init__(self, app: Any, terminal_id: str, secret: bytes, clock: SystemClock) -> None:
        self.app = app
        self.terminal_id = terminal_id
        self.secret = secret
        self.clock = clock

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        sent = dict(scope.get("headers", [])) if scope["type"] == "http" else {}
        if sent.get(b"x-signature") != SIGN_ME.encode():
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        raw_path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        path = raw_path.decode("latin-1").split("?", 1)[0] + (
            "?" + query.decode("latin-1") if query else "")
        extra = signing.signed_headers(self.secret, self.terminal_id, scope["method"], path,
                                       body, self.clock.now().timestamp())
        names = {k.lower().encode() for k in extra}
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in names]
        headers += [(k.lower().encode(), v.encode()) for k, v in extra.items()]
        await replay_to(self.app, {**scope, "headers": headers}, body, receive, send)


class CaseAligner:
    """Makes generated case submissions pass the cross-field rules a schema cannot say.

    ``Idempotency-Key`` must equal ``kiosk_ref`` (a well-formed reference),
    ``terminal_id`` must be the
    signer and the item must be in the catalog; without this, nearly every
    generated case would stop at those checks and the intake itself (materials,
    numbering, storage) would go untested.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/api/v1/cases":
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        headers = list(scope["headers"])
        try:
            case = json.loads(body)
        except ValueError:
            case = None
        if isinstance(case, dict) and isinstance(case.get("kiosk_ref"), str):
            case["terminal_id"] = TERMINAL_ID
            # A well-formed reference (its check character is checked), one per value.
            seq = int(hashlib.sha256(case["kiosk_ref"].encode("utf-8", "replace")
                                     ).hexdigest(), 16) % 9999 + 1
            case["kiosk_ref"] = format_reference("XD", date(2026, 11, 22), seq)
            case["item_code"], case["bundle_code"] = "330109-HJ-001", None
            body = json.dumps(case).encode()
            key = case["kiosk_ref"].encode("latin-1", "replace")
            # A key the schema allows is made to match; a missing or malformed one (a
            # negative case) is left for the app to refuse.
            sent = [v for k, v in headers if k.lower() == b"idempotency-key"]
            keep = len(sent) == 1 and 1 <= len(sent[0]) <= 64
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"
                       and (k.lower() != b"idempotency-key" or not keep)]
            headers += [(b"content-length", str(len(body)).encode())]
            if keep:
                headers += [(b"idempotency-key", key)]
        await replay_to(self.app, {**scope, "headers": headers}, body, receive, send)


# PDF pages are raw bytes on the wire, like the images schemathesis already knows.
schemathesis.serializer.alias("application/pdf", "application/octet-stream")
# So are diagnostic bundles (zip).
schemathesis.serializer.alias("application/zip", "application/octet-stream")
# A case bundle is raw bytes too (its parts back to back, framed by a signed header).
schemathesis.serializer.alias("application/x-case-bundle", "application/octet-stream")

# The document the app serves (the same text as the committed openapi.json).
DOCUMENT = json.loads(openapi_text())
schema = schemathesis.openapi.from_dict(DOCUMENT)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: Any, server: str) -> None:
    case.call_and_validate(base_url=server, checks=CHECKS, headers={
        "X-Signature": SIGN_ME, "Authorization": f"Bearer {STAFF_TOKEN}"})
