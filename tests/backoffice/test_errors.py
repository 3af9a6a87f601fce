"""Every error has the {"error", "detail"} shape, including the framework's own."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.backoffice.testing import TerminalClient


def test_unknown_route_404(client: TestClient) -> None:
    r = client.get("/nowhere")
    assert r.status_code == 404
    assert r.json() == {"error": "not_found", "detail": "Not Found"}


def test_wrong_method_405(client: TestClient) -> None:
    r = client.delete("/api/v1/health")
    assert r.status_code == 405
    assert r.json()["error"] == "method_not_allowed"


def test_query_validation_error_shape(client: TestClient,
                                      staff_headers: dict[str, str]) -> None:
    r = client.get("/staff/cases?status=bogus", headers=staff_headers)
    assert r.status_code == 422
    body = r.json()
    assert set(body) == {"error", "detail"} and body["error"] == "invalid_request"
    assert "status" in body["detail"]


def test_bad_path_parameter_is_400(terminal: TerminalClient) -> None:
    r = terminal.request("GET", "/api/v1/cases/has%20space")
    assert r.status_code == 400
    assert r.json()["error"] == "bad_request"
