"""Invalid Unicode is a 422 in the contract's shape; any unexpected failure a JSON 500."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.submission.reference import format_reference
from tests.backoffice.testing import TerminalClient, make_case

#: Any code point, lone surrogates included (hypothesis leaves them out by default).
SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
ANY_TEXT = st.text(st.one_of(st.characters(), SURROGATES), max_size=20)


def _post(terminal: TerminalClient, case: dict[str, Any]) -> Any:
    # json.dumps escapes a lone surrogate as "\ud800": valid JSON syntax, invalid text.
    body = json.dumps(case).encode("ascii")
    return terminal.request("POST", "/api/v1/cases", body=body,
                            headers={"Content-Type": "application/json",
                                     "Idempotency-Key": case["kiosk_ref"]})


def test_a_lone_surrogate_in_a_form_value_is_422(terminal: TerminalClient) -> None:
    case = make_case(pages=[])
    case["form"]["remark"] = "\ud800"
    r = _post(terminal, case)
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_case"
    assert "UTF-8" in r.json()["detail"]


def test_a_lone_surrogate_in_a_heartbeat_is_422(terminal: TerminalClient) -> None:
    body = json.dumps({"time": "2026-11-22T01:00:00+00:00",
                       "devices": {"printer": {"state": "ok", "reason": "\udfff"}}})
    r = terminal.request("POST", "/api/v1/terminals/heartbeat", body=body.encode(),
                         headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()["error"]) == (422, "invalid_request")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.one_of(st.just("remark"), ANY_TEXT), value=ANY_TEXT,
       name=st.one_of(st.just("张三"), ANY_TEXT))
def test_any_text_is_accepted_or_refused_with_422(terminal: TerminalClient, key: str,
                                                 value: str, name: str) -> None:
    seq = abs(hash((key, value, name))) % 9999 + 1
    case = make_case(pages=[], kiosk_ref=format_reference("XD", date(2026, 11, 22), seq))
    case["form"][key] = value
    case["applicant"]["name"] = name or "张三"
    r = _post(terminal, case)
    assert r.status_code in (200, 201, 409, 422), r.text
    if r.status_code >= 400:
        assert set(r.json()) >= {"error", "detail"}
    if any(_not_text(t) for t in (key, value, name)):
        assert r.status_code == 422


def _not_text(value: str) -> bool:
    """A lone surrogate as JSON carries it; a high and a low one side by side are one
    character in JSON (json.dumps writes "\\ud800\\udc00", which reads back as U+10000)."""
    try:
        json.loads(json.dumps(value)).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class _BrokenCatalog:
    def get(self) -> Any:
        raise RuntimeError("a bug")


def test_an_unexpected_failure_is_a_json_500(client: TestClient,
                                             terminal: TerminalClient) -> None:
    client.app.state.catalog = _BrokenCatalog()  # type: ignore[attr-defined]
    r = terminal.request("GET", "/api/v1/catalog")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"error": "internal", "detail": "internal server error"}


def test_a_number_where_a_date_or_time_belongs_is_422(terminal: TerminalClient) -> None:
    """The schema says text (ISO 8601); a number is refused, not read as Unix seconds
    (``"time": 0`` was taken for 1970-01-01, found by schemathesis' negative data)."""
    beat = terminal.request("POST", "/api/v1/terminals/heartbeat",
                            json_body={"time": 0, "devices": {}})
    assert (beat.status_code, beat.json()["error"]) == (422, "invalid_request")
    for where, value in (("created_at", 1764000000), ("verification.verified_at", 0),
                         ("applicant.birth", 86400), ("deferred_materials", 0)):
        case = make_case(pages=[])
        if where == "deferred_materials":
            case[where] = [{"code": "M03", "name": "补充材料", "deadline": value}]
        elif "." in where:
            outer, inner = where.split(".")
            case[outer][inner] = value
        else:
            case[where] = value
        r = _post(terminal, case)
        assert (r.status_code, r.json()["error"]) == (422, "invalid_case"), where
    assert _post(terminal, make_case(pages=[])).status_code == 201  # the text forms pass


def test_values_are_taken_only_in_the_schema_s_own_types(terminal: TerminalClient) -> None:
    """No coercion: ``false`` is not the number 0 and ``"3"`` is not 3 (schemathesis'
    negative data: ``"outbox": {"pending": 0, "refused": false}`` was accepted)."""
    for outbox in ({"pending": 0, "refused": False}, {"pending": "3", "refused": 0},
                   {"pending": 1.5, "refused": 0}):
        r = terminal.request("POST", "/api/v1/terminals/heartbeat", json_body={
            "time": "2026-11-22T01:00:00+00:00", "devices": {}, "outbox": outbox})
        assert (r.status_code, r.json()["error"]) == (422, "invalid_request"), outbox
    case = make_case(pages=[])
    case["verification"]["score"] = "0.9"
    assert _post(terminal, case).status_code == 422
    ok = terminal.request("POST", "/api/v1/terminals/heartbeat", json_body={
        "time": "2026-11-22T01:00:00+00:00", "devices": {}, "outbox": {"pending": 3,
                                                                       "refused": 0}})
    assert ok.status_code == 200, ok.text
