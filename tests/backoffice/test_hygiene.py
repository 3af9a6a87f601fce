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


@functools.cache
def _command_validator() -> Any:
    doc = json.loads(openapi_text())
    return jsonschema_rs.Draft202012Validator(
        {"$ref": "#/components/schemas/CommandRequest", "components": doc["components"]})


_KINDS = ["enter_maintenance", "leave_maintenance", "print_test_page", "upload_diagnostics",
          "resync_catalog", "restart_app"]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(_KINDS),
       args=st.dictionaries(st.sampled_from(["reason", "note", "x"]),
                            st.sampled_from(["", " ", "\t\n", "设备检修", " 升级 ", "a" * 200]),
                            max_size=2))
def test_the_command_schema_accepts_exactly_the_arguments_the_server_accepts(
        client: TestClient, staff_headers: dict[str, str], kind: str,
        args: dict[str, str]) -> None:
    """enter_maintenance needs a reason that is not blank; the others take nothing. A
    client that follows the schema is never refused (schemathesis' positive-data check
    found ``{"kind": "enter_maintenance", "args": {}}`` valid by the schema, refused 422)."""
    body = {"kind": kind, "args": args}
    schema_ok = _command_validator().is_valid(body)
    r = client.post("/staff/terminals/XS-TEST-0001/commands", json=body, headers=staff_headers)
    assert r.status_code in (201, 422), r.text
    assert schema_ok == (r.status_code == 201), (body, r.text)
