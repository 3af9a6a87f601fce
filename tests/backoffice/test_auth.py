"""Terminal signatures: every refusal is a 401 with its own code (API.md)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice import staffauth, staffops
from backoffice.app import create_app
from backoffice.auth import SignedHeaders, signature_matches
from backoffice.settings import Settings
from kiosk.clock import FakeClock
from kiosk.submission import signing
from tests.backoffice.testing import STAFF_TOKEN, TERMINAL_ID, TerminalClient


@pytest.fixture(params=sorted(signing.SUITES))
def suite(request: pytest.FixtureRequest) -> str:
    """Every signing test runs under both suites: HMAC-SHA256 and HMAC-SM3 (GB/T 39786)."""
    return str(request.param)


@pytest.fixture
def client(settings: Settings, secret: bytes, suite: str) -> Iterator[TestClient]:
    """The conftest's, with the test terminal registered for ``suite``."""
    app = create_app(settings)
    staffops.register_terminal(app.state.sessions, TERMINAL_ID, secret.hex(),
                               settings.clock.now(), app.state.secret_box, suite=suite)
    staffauth.add_account(app.state.sessions, "tester", "admin", settings.clock.now(),
                          token=STAFF_TOKEN)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def terminal(client: TestClient, secret: bytes, clock: FakeClock, suite: str) -> TerminalClient:
    return TerminalClient(client, TERMINAL_ID, secret, clock, suite=suite)


def _code(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 401, response.text
    body = response.json()
    assert set(body) == {"error", "detail"}
    return str(body["error"])


def test_health_is_unsigned(client: TestClient) -> None:
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "time": "2026-11-22T01:00:00Z"}


def test_signed_request_passes(terminal: TerminalClient) -> None:
    r = terminal.request("GET", "/api/v1/catalog")
    assert r.status_code == 200, r.text


def test_bad_signature(terminal: TerminalClient) -> None:
    r = terminal.request("GET", "/api/v1/catalog", secret=secrets.token_bytes(32))
    assert _code(r) == "bad_signature"


def test_signature_covers_the_body(terminal: TerminalClient) -> None:
    headers = terminal.headers("POST", "/api/v1/terminals/heartbeat", b'{"a":1}')
    r = terminal.client.post("/api/v1/terminals/heartbeat", content=b'{"a":2}', headers=headers)
    assert _code(r) == "bad_signature"


def test_signature_covers_the_query(terminal: TerminalClient) -> None:
    headers = terminal.headers("GET", "/api/v1/catalog", b"")
    r = terminal.client.get("/api/v1/catalog?x=1", headers=headers)
    assert _code(r) == "bad_signature"
    headers = terminal.headers("GET", "/api/v1/catalog?x=1", b"")
    assert terminal.client.get("/api/v1/catalog?x=1", headers=headers).status_code == 200


@pytest.mark.parametrize("offset", [-301, 301, -10_000, 10_000])
def test_clock_skew_both_directions(terminal: TerminalClient, clock: FakeClock,
                                    offset: int) -> None:
    r = terminal.request("GET", "/api/v1/catalog", timestamp=clock.now().timestamp() + offset)
    assert _code(r) == "clock_skew"


@pytest.mark.parametrize("offset", [-300, 300])
def test_skew_at_the_limit_is_accepted(terminal: TerminalClient, clock: FakeClock,
                                       offset: int) -> None:
    r = terminal.request("GET", "/api/v1/catalog", timestamp=clock.now().timestamp() + offset)
    assert r.status_code == 200


def test_replayed_nonce(terminal: TerminalClient) -> None:
    nonce = signing.new_nonce()
    assert terminal.request("GET", "/api/v1/catalog", nonce=nonce).status_code == 200
    assert _code(terminal.request("GET", "/api/v1/catalog", nonce=nonce)) == "replayed_nonce"


def test_replay_of_identical_request_is_refused(terminal: TerminalClient) -> None:
    headers = terminal.headers("GET", "/api/v1/catalog", b"")
    assert terminal.client.get("/api/v1/catalog", headers=headers).status_code == 200
    assert _code(terminal.client.get("/api/v1/catalog", headers=headers)) == "replayed_nonce"


def test_nonce_forgotten_after_window(terminal: TerminalClient, clock: FakeClock) -> None:
    nonce = signing.new_nonce()
    assert terminal.request("GET", "/api/v1/catalog", nonce=nonce).status_code == 200
    clock.advance(700)  # the old timestamp is now out of the window anyway
    assert terminal.request("GET", "/api/v1/catalog", nonce=nonce).status_code == 200


def test_unknown_terminal_is_answered_like_a_bad_signature(
        client: TestClient, terminal: TerminalClient, secret: bytes, clock: FakeClock) -> None:
    """An outsider cannot tell which terminal ids exist, not even through clock_skew."""
    stranger = TerminalClient(client, "XS-NOBODY", secret, clock)
    wrong_key = terminal.request("GET", "/api/v1/catalog", secret=secrets.token_bytes(32))
    for answer in (stranger.request("GET", "/api/v1/catalog"),
                   stranger.request("GET", "/api/v1/catalog", timestamp=0),
                   TerminalClient(client, "X" * 65, secret, clock).request("GET",
                                                                            "/api/v1/catalog")):
        assert (answer.status_code, answer.json()) == (wrong_key.status_code, wrong_key.json())


@pytest.mark.parametrize("drop", ["X-Terminal-Id", "X-Timestamp", "X-Nonce", "X-Signature"])
def test_missing_header(terminal: TerminalClient, drop: str) -> None:
    headers = terminal.headers("GET", "/api/v1/catalog", b"")
    del headers[drop]
    r = terminal.client.get("/api/v1/catalog", headers=headers)
    assert _code(r) == "bad_signature"
    assert drop in r.json()["detail"]


@pytest.mark.parametrize(("name", "value"), [
    ("X-Timestamp", "17e8"), ("X-Timestamp", "-5"), ("X-Nonce", "short"),
    ("X-Nonce", "bad nonce with spaces!"), ("X-Signature", "zz" * 32),
    ("X-Signature", "ab"), ("X-Signature", b"\xe9" * 64),
])
def test_malformed_header(terminal: TerminalClient, name: str, value: str | bytes) -> None:
    headers: dict[str, str | bytes] = {**terminal.headers("GET", "/api/v1/catalog", b"")}
    headers[name] = value
    r = terminal.client.get("/api/v1/catalog", headers=headers)
    assert _code(r) == "bad_signature"


def test_auth_comes_before_body_validation(terminal: TerminalClient) -> None:
    headers = terminal.headers("POST", "/api/v1/cases", b"{}", secret=secrets.token_bytes(32))
    r = terminal.client.post("/api/v1/cases", content=b"not json",
                             headers={**headers, "Idempotency-Key": "X"})
    assert _code(r) == "bad_signature"


def test_signature_is_uppercase_tolerant(terminal: TerminalClient) -> None:
    headers = terminal.headers("GET", "/api/v1/catalog", b"")
    headers["X-Signature"] = headers["X-Signature"].upper()
    assert terminal.client.get("/api/v1/catalog", headers=headers).status_code == 200


@settings(max_examples=50, deadline=None)
@given(method=st.sampled_from(["GET", "PUT", "POST", "HEAD"]),
       path=st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=40),
       ts=st.integers(0, 10**11).map(str), body=st.binary(max_size=200),
       secret=st.binary(min_size=32, max_size=32), suite=st.sampled_from(sorted(signing.SUITES)))
def test_digest_check_matches_kiosk_signing(method: str, path: str, ts: str, body: bytes,
                                            secret: bytes, suite: str) -> None:
    """The streaming check builds the same canonical string as kiosk.submission.signing,
    under either suite, and a signature made under one suite never passes for the other."""
    nonce = signing.new_nonce()
    sig = signing.sign(secret, method, path, ts, nonce, body, suite)
    headers = SignedHeaders(TERMINAL_ID, ts, nonce, sig, method, path)
    digest = hashlib.sha256(body).hexdigest()
    assert signature_matches(secret, headers, digest, suite)
    assert not signature_matches(secret, headers, hashlib.sha256(body + b"x").hexdigest(), suite)
    other = next(s for s in signing.SUITES if s != suite)
    assert not signature_matches(secret, headers, digest, other)


def test_staff_token(client: TestClient) -> None:
    r = client.get("/staff/cases")
    assert r.status_code == 401 and r.json()["error"] == "bad_staff_token"
    r = client.get("/staff/cases", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and r.json()["error"] == "bad_staff_token"


def test_new_secret_takes_effect_after_the_cache_ttl(terminal: TerminalClient,
                                                     client: TestClient,
                                                     clock: FakeClock) -> None:
    from backoffice import staffops
    from backoffice.auth import TerminalAuth

    assert terminal.request("GET", "/api/v1/catalog").status_code == 200
    new = secrets.token_bytes(32)
    staffops.register_terminal(client.app.state.sessions, TERMINAL_ID, new.hex(),  # type: ignore[attr-defined]
                               clock.now(), client.app.state.secret_box)  # type: ignore[attr-defined]
    clock.advance(TerminalAuth.SECRET_TTL_S)
    assert terminal.request("GET", "/api/v1/catalog", secret=new).status_code == 200
    assert _code(terminal.request("GET", "/api/v1/catalog")) == "bad_signature"


def test_a_terminal_registered_later_works_at_once(client: TestClient, clock: FakeClock) -> None:
    from backoffice import staffops

    late = TerminalClient(client, "XS-LATE-0001", secrets.token_bytes(32), clock)
    assert _code(late.request("GET", "/api/v1/catalog")) == "bad_signature"
    staffops.register_terminal(client.app.state.sessions, "XS-LATE-0001",  # type: ignore[attr-defined]
                               late.secret.hex(), clock.now(),
                               client.app.state.secret_box)  # type: ignore[attr-defined]
    assert late.request("GET", "/api/v1/catalog").status_code == 200


def test_expired_nonces_are_purged(terminal: TerminalClient, client: TestClient,
                                   clock: FakeClock) -> None:
    from sqlalchemy import func, select

    from backoffice.models import Nonce

    def count() -> int:
        with client.app.state.sessions() as session:  # type: ignore[attr-defined]
            return int(session.scalar(select(func.count()).select_from(Nonce)) or 0)

    for _ in range(5):
        assert terminal.request("GET", "/api/v1/catalog").status_code == 200
    assert count() == 5
    clock.advance(700)
    assert terminal.request("GET", "/api/v1/catalog").status_code == 200
    assert count() == 1


def test_a_known_terminal_with_a_wrong_key_costs_what_an_unknown_terminal_costs(
        client: TestClient, terminal: TerminalClient, secret: bytes, clock: FakeClock) -> None:
    """Timing must not tell an outsider which terminal ids exist: a wrong signature from a
    terminal whose keys the server holds in memory (it has just been active) is checked
    against the database, like one from an id the server has never seen. Observed as the
    statements the server runs, which is where the time difference was (0.65 ms per
    request on loopback, plain to see over a few hundred requests)."""
    from sqlalchemy import event

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement.split()[0].upper())

    engines = {client.app.state.engine, client.app.state.fast_engine}  # type: ignore[attr-defined]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        def cost(who: TerminalClient, key: bytes) -> list[str]:
            assert terminal.request("GET", "/api/v1/catalog").status_code == 200  # warm
            statements.clear()
            assert who.request("GET", "/api/v1/catalog", secret=key).status_code == 401
            return sorted(statements)

        stranger = TerminalClient(client, "XS-NOBODY-0001", secret, clock)
        wrong_key = cost(terminal, secrets.token_bytes(32))
        unknown = cost(stranger, secret)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    assert unknown, "an unknown terminal is looked up"
    assert wrong_key == unknown


_HEADER_NAMES = [b"x-terminal-id", b"x-timestamp", b"x-nonce", b"x-signature"]


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.binary(max_size=80), min_size=4, max_size=4),
       present=st.lists(st.booleans(), min_size=4, max_size=4),
       path=st.binary(max_size=60), query=st.binary(max_size=40))
def test_parse_headers_only_ever_refuses_with_401(values: list[bytes], present: list[bool],
                                                  path: bytes, query: bytes) -> None:
    """Arbitrary header bytes from the network: parsed, or a 401 ApiError; nothing else."""
    from starlette.requests import Request

    from backoffice.auth import parse_headers
    from backoffice.errors import ApiError

    headers = [(n, v) for n, v, p in zip(_HEADER_NAMES, values, present, strict=True) if p]
    scope = {"type": "http", "method": "POST", "path": "/api/v1/cases",
             "raw_path": b"/" + path, "query_string": query, "headers": headers}
    try:
        parsed = parse_headers(Request(scope))
    except ApiError as exc:
        assert exc.status == 401 and exc.code in ("bad_signature", "unknown_terminal")
    else:
        assert parsed.timestamp.isdigit() and len(parsed.signature) == 64
