"""Property-based API testing from the app's own OpenAPI document (schemathesis).

Every operation gets generated requests (signed by ``SigningProxy``, so they
reach the handlers); no answer may be a 5xx, and every answer must match the
documented status codes, content types and schemas. Bounded: a few examples
per operation, well under a minute in total.
"""

from __future__ import annotations

import json
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

from backoffice import staffops
from backoffice.app import create_app
from backoffice.cli import openapi_text
from backoffice.settings import REPO_ROOT, Settings
from backoffice.testing import STAFF_TOKEN, TERMINAL_ID, SigningProxy
from kiosk.clock import SystemClock

EXAMPLES_PER_OPERATION = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture
def proxy(tmp_path: Path) -> SigningProxy:
    """A fresh back office per operation, behind the signing proxy."""
    clock = SystemClock()
    app = create_app(Settings(data_dir=tmp_path / "bo", staff_token=STAFF_TOKEN,
                              catalog_dir=REPO_ROOT / "config" / "catalog", clock=clock))
    secret = b"k" * 32
    staffops.register_terminal(app.state.sessions, TERMINAL_ID, secret.hex(), clock.now())
    return SigningProxy(app, TERMINAL_ID, secret, STAFF_TOKEN, clock)


# PDF pages are raw bytes on the wire, like the images schemathesis already knows.
schemathesis.serializer.alias("application/pdf", "application/octet-stream")

# The document the app serves (the same text as the committed openapi.json).
DOCUMENT = json.loads(openapi_text())
schema = schemathesis.openapi.from_dict(DOCUMENT)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: Any, proxy: SigningProxy) -> None:
    case.call_and_validate(app=proxy, checks=CHECKS)
