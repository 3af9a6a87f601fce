"""The back-office client against a real (hostile) HTTP server on loopback."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kiosk.clock import FakeClock
from kiosk.errors import (
    AuthError,
    BackofficeError,
    BackofficeUnreachable,
    ConfigError,
    MissingMaterials,
    PermanentError,
    TransientError,
)
from kiosk.submission import signing
from kiosk.submission.cases import Verification
from kiosk.submission.client import (
    BackofficeClient,
    CaseReceipt,
    CaseStatus,
    _retry_after,
    read_terminal_secret,
)
from kiosk.submission.signing import verify
from tests.kiosk.hostile_server import SECRET, TERMINAL, Fault, HostileServer

PAGE = b"\xff\xd8\xff\xe0" + b"page" * 500
SHA = hashlib.sha256(PAGE).hexdigest()


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as srv:
        yield srv


@pytest.fixture
def client(server: HostileServer) -> Iterator[BackofficeClient]:
    c = BackofficeClient(server.url, TERMINAL, SECRET, clock=FakeClock(),
                         connect_timeout_s=1.0, read_timeout_s=0.3)
    yield c
    c.close()


def case_body(ref: str = "XD-261122-0001-X") -> bytes:
    return json.dumps({"kiosk_ref": ref, "materials": [{"pages": [{"sha256": SHA}]}],
                       "signature": None}).encode()


def test_requests_are_signed_over_the_wire_path_and_body(server: HostileServer,
                                                        client: BackofficeClient) -> None:
    client.upload_material(SHA, "image/jpeg", PAGE)
    put = server.requests("PUT")[0]
    h = put.headers
    assert h["X-Terminal-Id"] == TERMINAL and h["Content-Type"] == "image/jpeg"
    assert h["X-Timestamp"] == str(int(FakeClock().now().timestamp()))
    assert verify(SECRET, h["X-Signature"], "PUT", f"/api/v1/materials/{SHA}",
                  h["X-Timestamp"], h["X-Nonce"], PAGE)
    assert put.body == PAGE


def test_material_exists_upload_and_case(server: HostileServer,
                                         client: BackofficeClient) -> None:
    assert client.material_exists(SHA) is False
    client.upload_material(SHA, "image/jpeg", PAGE)
    client.upload_material(SHA, "image/jpeg", PAGE)  # 200 when already stored
    assert client.material_exists(SHA) is True
    receipt = client.create_case("XD-261122-0001-X", case_body())
    assert receipt.case_number == "XS20261122000001"
    again = client.create_case("XD-261122-0001-X", case_body())
    assert again == receipt and server.created == 1
    post = server.requests("POST", "/api/v1/cases")[0]
    assert post.headers["Idempotency-Key"] == "XD-261122-0001-X"


def test_upload_refuses_data_that_is_not_its_hash(client: BackofficeClient) -> None:
    with pytest.raises(ValueError):
        client.upload_material("0" * 64, "image/jpeg", PAGE)


def test_health_and_skew(client: BackofficeClient) -> None:
    when, skew = client.health()
    assert when == datetime(2026, 11, 22, 1, 0, 30, tzinfo=UTC)
    assert skew == 30.0


def test_slow_response_is_unreachable(server: HostileServer, client: BackofficeClient) -> None:
    server.inject(Fault(path_prefix="/api/v1/materials", delay_s=2.0, status=200))
    with pytest.raises(BackofficeUnreachable, match=r"timed out|connection"):
        client.material_exists(SHA)


def test_500_is_transient_but_not_unreachable(server: HostileServer,
                                             client: BackofficeClient) -> None:
    server.inject(Fault(status=500))
    with pytest.raises(TransientError) as info:
        client.create_case("XD-261122-0001-X", case_body())
    assert not isinstance(info.value, BackofficeUnreachable)


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_overload_statuses_with_retry_after(server: HostileServer, client: BackofficeClient,
                                            status: int) -> None:
    server.inject(Fault(status=status, headers={"Retry-After": "17"}))
    with pytest.raises(BackofficeUnreachable) as info:
        client.material_exists(SHA)
    assert info.value.retry_after == 17.0


def test_retry_after_as_http_date(server: HostileServer, client: BackofficeClient) -> None:
    # FakeClock starts at 2026-11-22 01:00:00 UTC.
    server.inject(Fault(status=503, headers={"Retry-After": "Sun, 22 Nov 2026 01:02:00 GMT"}))
    with pytest.raises(BackofficeUnreachable) as info:
        client.material_exists(SHA)
    assert info.value.retry_after == 120.0
    server.inject(Fault(status=503, headers={"Retry-After": "soon"}))
    with pytest.raises(BackofficeUnreachable) as info:
        client.material_exists(SHA)
    assert info.value.retry_after is None


@pytest.mark.parametrize("body", [b"<html>oops</html>", b'{"case_number": 5}', b"", b"[]",
                                  b'{"case_number": "N", "kiosk_ref": "OTHER", '
                                  b'"status": "submitted", "received_at": "x"}'])
def test_garbage_json_is_transient(server: HostileServer, client: BackofficeClient,
                                   body: bytes) -> None:
    server.inject(Fault(status=201, body=body))
    with pytest.raises(TransientError):
        client.create_case("XD-261122-0001-X", case_body())


def test_connection_cut_mid_upload(server: HostileServer, client: BackofficeClient) -> None:
    big = b"\xff\xd8" + bytes(2_000_000)
    server.inject(Fault(method="PUT", cut_after=10_000))
    with pytest.raises(BackofficeUnreachable):
        client.upload_material(hashlib.sha256(big).hexdigest(), "image/jpeg", big)
    assert server.materials == {}


def test_refusals(server: HostileServer, client: BackofficeClient) -> None:
    server.inject(Fault(status=422, body=b'{"error": "invalid_case", "detail": "bad item"}'))
    with pytest.raises(PermanentError) as info:
        client.create_case("XD-261122-0001-X", case_body())
    assert info.value.status == 422 and "invalid_case: bad item" in str(info.value)
    with pytest.raises(MissingMaterials) as missing:
        client.create_case("XD-261122-0001-X", case_body())
    assert missing.value.missing == (SHA,)
    server.inject(Fault(status=413, body=b"not json"))
    with pytest.raises(PermanentError) as info:
        client.upload_material(SHA, "image/jpeg", PAGE)
    assert info.value.status == 413


def test_bad_secret_is_auth_error(server: HostileServer) -> None:
    c = BackofficeClient(server.url, TERMINAL, bytes(32), clock=FakeClock())
    with pytest.raises(AuthError) as info:
        c.material_exists(SHA)
    assert info.value.status == 401


def test_redirect_is_transient(server: HostileServer, client: BackofficeClient) -> None:
    server.inject(Fault(status=302, headers={"Location": "http://example.invalid/"}))
    with pytest.raises(TransientError):
        client.case_status("XD-261122-0001-X", "t" * 22)


def test_error_details_are_redacted(server: HostileServer, client: BackofficeClient) -> None:
    server.inject(Fault(status=400, body=b'{"error": "x", "detail": "id 330181199001011234"}'))
    with pytest.raises(PermanentError) as info:
        client.case_status("x", "t" * 22)
    assert "330181199001011234" not in str(info.value)


def test_server_down_is_unreachable() -> None:
    with HostileServer() as srv:
        url = srv.url
    c = BackofficeClient(url, TERMINAL, SECRET, clock=FakeClock(), connect_timeout_s=0.5)
    with pytest.raises(BackofficeUnreachable):
        c.health()


def test_status_applicant_cases_and_heartbeat(server: HostileServer,
                                              client: BackofficeClient) -> None:
    status = {"case_number": "XS1", "kiosk_ref": "R", "status": "accepted",
              "received_at": "2026-11-22T09:30:00+08:00", "item_code": "I",
              "owed_materials": [{"code": "M3", "name": "n", "deadline": "2026-12-06"}],
              "collect": None, "timeline": [{"status": "submitted", "at": "t", "note": ""}],
              "future_field": 1}
    server.inject(Fault(method="GET", status=200, body=json.dumps(status).encode()))
    got = client.case_status("XS1", client.query_token("R"))
    assert got.status == "accepted" and got.owed_materials[0].code == "M3"
    asked = server.requests("GET", "/api/v1/cases/XS1")[0]
    assert asked.headers["X-Case-Token"] == signing.query_token(SECRET, "R")
    server.inject(Fault(method="POST", path_prefix="/api/v1/verifications", status=201,
                        body=b'{"verification_id": "v-1234567890abcdef", "recorded_at": '
                             b'"2026-11-22T01:00:00Z", "expires_at": "2026-11-22T01:10:00Z"}'),
                  Fault(method="POST", path_prefix="/api/v1/applicants", status=200,
                        body=json.dumps({"cases": [status]}).encode()))
    v = Verification("card+face", 0.8, datetime(2026, 11, 22, 1, 0, tzinfo=UTC))
    cases = client.applicant_cases("330181199001011234", v)
    assert [c.case_number for c in cases] == ["XS1"]
    # The server records the verification with its own clock; the terminal sends no time.
    reported = json.loads(server.requests("POST", "/api/v1/verifications")[0].body)
    assert reported == {"id_number": "330181199001011234", "method": "card+face", "score": 0.8}
    listed = json.loads(server.requests("POST", "/api/v1/applicants")[0].body)
    assert listed == {"verification_id": "v-1234567890abcdef"}
    server.inject(Fault(method="POST", status=200,
                        body=b'{"server_time": "2026-11-22T09:00:00+08:00"}'))
    assert client.heartbeat({"printer": {"state": "ready", "media": "ok", "reason": None}},
                            {"pending": 1, "refused": 0}).hour == 9


def test_oversized_answer_is_transient(server: HostileServer, client: BackofficeClient) -> None:
    server.inject(Fault(status=200, body=b"x" * (5 * 1024 * 1024)))
    with pytest.raises(TransientError, match="larger"):
        client.case_status("x", "t" * 22)


def test_config_checks(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        BackofficeClient("ftp://x", TERMINAL, SECRET, clock=FakeClock())
    secret = tmp_path / "terminal.key"
    with pytest.raises(ConfigError, match="missing"):
        read_terminal_secret(secret)
    secret.write_text(SECRET.hex())
    secret.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        read_terminal_secret(secret)
    secret.chmod(0o600)
    assert read_terminal_secret(secret) == SECRET
    secret.write_text("zz")
    with pytest.raises(ConfigError, match="hex"):
        read_terminal_secret(secret)
    secret.write_text("abcd")
    with pytest.raises(ConfigError, match="need 32"):
        read_terminal_secret(secret)


def test_injected_session_is_used(server: HostileServer) -> None:
    class Counting(requests.Session):
        calls = 0

        def request(self, *args: object, **kwargs: object) -> requests.Response:  # type: ignore[override]
            Counting.calls += 1
            return super().request(*args, **kwargs)  # type: ignore[arg-type]

    c = BackofficeClient(server.url, TERMINAL, SECRET, clock=FakeClock(), session=Counting())
    c.health()
    assert Counting.calls == 1


# ---------------------------------------------------------------- fuzzing what the server sends

_OFFLINE = BackofficeClient("http://127.0.0.1:9", TERMINAL, SECRET, clock=FakeClock())


@settings(max_examples=200)
@given(st.integers(100, 599), st.one_of(st.binary(max_size=200), st.builds(
    lambda d: json.dumps(d).encode(),
    st.dictionaries(st.sampled_from(["error", "detail", "missing", "x"]),
                    st.one_of(st.text(max_size=20), st.lists(st.text(max_size=5)),
                              st.integers(), st.none())))),
    st.one_of(st.none(), st.text(max_size=40)))
def test_any_error_answer_becomes_one_backoffice_error(status: int, body: bytes,
                                                      retry_after: str | None) -> None:
    if 200 <= status < 300:
        return
    with pytest.raises(BackofficeError):
        _OFFLINE._raise_for(status, body, retry_after, "POST x")


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_any_success_body_parses_or_is_transient(body: bytes) -> None:
    for model in (CaseReceipt, CaseStatus):
        with contextlib.suppress(TransientError):
            _OFFLINE._json(model, body, "GET x")


@given(st.text(max_size=60))
@example("²")  # a non-ASCII digit: str.isdigit() accepts it, float() does not
def test_retry_after_never_raises(value: str) -> None:
    got = _retry_after(value, FakeClock().now())
    assert got is None or got >= 0
