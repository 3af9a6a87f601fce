"""The committed backoffice/openapi.json is the document the app serves."""

from __future__ import annotations

import json

from backoffice.cli import OPENAPI_PATH, openapi_text


def test_openapi_json_is_current() -> None:
    committed = OPENAPI_PATH.read_text(encoding="utf-8") if OPENAPI_PATH.exists() else ""
    assert committed == openapi_text(), (
        "backoffice/openapi.json is stale: regenerate it with "
        "`scripts/backoffice export-openapi` and commit it")


def test_every_signed_route_documents_401_and_every_route_its_errors() -> None:
    doc = json.loads(openapi_text())
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if path != "/api/v1/health":
                assert "401" in responses, (method, path)
            for code, response in responses.items():
                if code.startswith(("4", "5")) and "content" in response:
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorBody"), (method, path, code)
