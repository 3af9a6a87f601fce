"""What a production back office shows a stranger: no docs, honest 405s, no Host echo."""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice.app import create_app
from backoffice.cli import openapi_text
from backoffice.settings import Settings
from tests.backoffice.testing import TerminalClient


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
def test_no_interactive_docs_in_production(client: TestClient, settings: Settings,
                                           path: str) -> None:
    assert client.get(path).status_code == 404
    with TestClient(create_app(dataclasses.replace(settings, docs=True))) as dev:
        assert dev.get(path).status_code == 200


def test_405_says_what_is_allowed(client: TestClient) -> None:
    r = client.delete("/api/v1/health")
    assert r.status_code == 405
    assert r.json()["error"] == "method_not_allowed"
    assert {m.strip() for m in r.headers["Allow"].split(",")} >= {"GET"}


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("GET", "/api/v1/materials/" + "ab" * 32, {"HEAD", "PUT"}),
    ("DELETE", "/api/v1/materials/" + "ab" * 32, {"HEAD", "PUT"}),
    ("DELETE", "/console/login", {"GET", "POST"}),
])
def test_405_names_every_method_the_path_takes(client: TestClient, method: str, path: str,
                                               allowed: set[str]) -> None:
    """A path served by several routes (HEAD and PUT of a material) lists all of them,
    not only the first route's method."""
    r = client.request(method, path)
    assert r.status_code == 405
    assert {m.strip() for m in r.headers["Allow"].split(",")} == allowed


def test_a_trailing_slash_is_not_redirected_to_the_host_the_client_named(
        client: TestClient) -> None:
    r = client.get("/api/v1/health/", headers={"Host": "evil.example"},
                   follow_redirects=False)
    assert "location" not in r.headers
    assert "evil.example" not in r.text
    assert r.status_code == 404


@functools.cache
def _heartbeat_validator() -> Any:
    """The schema as the committed OpenAPI document states it (what a client reads)."""
    doc = json.loads(openapi_text())
    return jsonschema_rs.Draft202012Validator(
        {"$ref": "#/components/schemas/Heartbeat", "components": doc["components"]})


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.one_of(st.sampled_from(["idcard", "printer", "bad key", "-x", "a" * 65, ""]),
                     st.text(max_size=8)))
def test_the_heartbeat_schema_allows_exactly_the_device_keys_the_server_accepts(
        terminal: TerminalClient, key: str) -> None:
    body: dict[str, Any] = {"time": "2026-11-22T01:00:00+00:00",
                            "devices": {key: {"state": "ok"}}}
    schema_ok = _heartbeat_validator().is_valid(body)
    r = terminal.request("POST", "/api/v1/terminals/heartbeat", json_body=body)
    assert r.status_code in (200, 422)
    assert schema_ok == (r.status_code == 200), (key, r.text)
