"""Property-based API testing from the app's own OpenAPI document (schemathesis).

Every operation gets generated requests (signed by ``SigningProxy``, so they
reach the handlers); no answer may be a 5xx, and every answer must match the
documented status codes, content types and schemas. Bounded: a few examples
per operation, well under a minute in total.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backoffice import staffauth, staffops
from backoffice.app import create_app
from backoffice.cli import openapi_text
from backoffice.settings import REPO_ROOT, Settings
from kiosk.clock import SystemClock
from kiosk.submission.reference import format_reference
from tests.backoffice.testing import (
    BOTH_DATABASES,
    STAFF_TOKEN,
    TERMINAL_ID,
    SigningProxy,
    read_body,
    replay_to,
)

pytestmark = BOTH_DATABASES
EXAMPLES_PER_OPERATION = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


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
def proxy(tmp_path: Path, database_url: str) -> Any:
    """A fresh back office per operation, behind the signing proxy."""
    clock = SystemClock()
    app = create_app(Settings(data_dir=tmp_path / "bo",
                              catalog_dir=REPO_ROOT / "config" / "catalog", clock=clock,
                              database_url=database_url))
    secret = b"k" * 32
    staffops.register_terminal(app.state.sessions, TERMINAL_ID, secret.hex(), clock.now(),
                               app.state.secret_box)
    staffauth.add_account(app.state.sessions, "tester", "admin", clock.now(), token=STAFF_TOKEN)
    return CaseAligner(SigningProxy(app, TERMINAL_ID, secret, STAFF_TOKEN, clock))


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
            headers = [(k, v) for k, v in headers
                       if k.lower() not in (b"idempotency-key", b"content-length")]
            headers += [(b"idempotency-key", key), (b"content-length", str(len(body)).encode())]
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
def test_api_conforms_to_its_schema(case: Any, proxy: Any) -> None:
    case.call_and_validate(app=proxy, checks=CHECKS)
