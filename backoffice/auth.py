"""Terminal request signatures (API.md "Terminal authentication") and the staff token.

Checks run in this order, each a 401 with its own code: headers present and
well formed (``bad_signature``), terminal registered (``unknown_terminal``),
timestamp within ±300 s (``clock_skew``), HMAC over the canonical string
(``bad_signature``), nonce unused (``replayed_nonce``). Nonces are rows with
an expiry in the database, so a replay is caught even when it reaches
another server process on the same database.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends
from sqlalchemy import delete, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from backoffice.db import transaction
from backoffice.errors import ApiError
from backoffice.models import Nonce, Terminal
from kiosk.submission import signing

_HEX64 = re.compile(r"^[0-9A-Fa-f]{64}$")


@dataclass(frozen=True)
class SignedHeaders:
    terminal_id: str
    timestamp: str
    nonce: str
    signature: str
    method: str
    path_and_query: str


@dataclass(frozen=True)
class Signed:
    """An authenticated request: who sent it and its raw body."""

    terminal_id: str
    body: bytes


def _unauthorized(code: str, detail: str) -> ApiError:
    return ApiError(401, code, detail)


def path_and_query(request: Request) -> str:
    """The path as the client sent it (still percent-encoded), "?query" when there is one."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    path = raw.decode("latin-1").split("?", 1)[0]
    query = request.scope.get("query_string", b"").decode("latin-1")
    return f"{path}?{query}" if query else path


def parse_headers(request: Request) -> SignedHeaders:
    h = request.headers
    values = {name: h.get(name, "") for name in
              ("X-Terminal-Id", "X-Timestamp", "X-Nonce", "X-Signature")}
    absent = [name for name, value in values.items() if not value]
    if absent:
        raise _unauthorized("bad_signature", f"missing header(s): {', '.join(absent)}")
    if not values["X-Timestamp"].isascii() or not values["X-Timestamp"].isdigit() \
            or len(values["X-Timestamp"]) > 12:
        raise _unauthorized("bad_signature", "X-Timestamp must be integer Unix seconds")
    if not signing.NONCE_RE.match(values["X-Nonce"]):
        raise _unauthorized("bad_signature", "X-Nonce must be 16-64 characters [A-Za-z0-9_-]")
    if not _HEX64.match(values["X-Signature"]):
        raise _unauthorized("bad_signature", "X-Signature must be 64 hex characters")
    if len(values["X-Terminal-Id"]) > 64:
        raise _unauthorized("unknown_terminal", "terminal id too long")
    return SignedHeaders(values["X-Terminal-Id"], values["X-Timestamp"], values["X-Nonce"],
                         values["X-Signature"], request.method.upper(), path_and_query(request))


def signature_matches(secret: bytes, headers: SignedHeaders, body_sha256: str) -> bool:
    """HMAC check from the body's digest, for bodies streamed to disk.

    Builds the same canonical string as :func:`kiosk.submission.signing.canonical_string`
    (a test keeps the two equal) without holding the body in memory.
    """
    msg = "\n".join((headers.method, headers.path_and_query, headers.timestamp,
                     headers.nonce, body_sha256)).encode()
    expected = hmac.new(secret, msg, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers.signature.lower())


class TerminalAuth:
    """Terminal secrets and used nonces, for one app (several may share a database).

    Secrets are cached for a few seconds (a registration or a new secret takes
    effect within ``SECRET_TTL_S`` on running servers; an unknown terminal is
    never cached, so a new terminal works at once). Expired nonces are purged
    every ``PURGE_EVERY_S`` through the ``expires_at`` index, not per request.
    """

    SECRET_TTL_S = 5.0
    PURGE_EVERY_S = 30.0

    def __init__(self, sessions: sessionmaker[Session], fast_sessions: sessionmaker[Session],
                 max_skew_s: int) -> None:
        self._sessions = sessions
        self._fast = fast_sessions
        self.max_skew_s = max_skew_s
        self._lock = threading.Lock()
        self._secrets: dict[str, tuple[bytes, datetime]] = {}
        self._last_purge: datetime | None = None

    def _cached(self, terminal_id: str, now: datetime) -> bytes | None:
        with self._lock:
            cached = self._secrets.get(terminal_id)
        if cached is not None and abs((now - cached[1]).total_seconds()) < self.SECRET_TTL_S:
            return cached[0]
        return None

    def _secret(self, terminal_id: str, now: datetime) -> bytes | None:
        cached = self._cached(terminal_id, now)
        if cached is not None:
            return cached
        with transaction(self._sessions, write=False) as session:
            terminal = session.get(Terminal, terminal_id)
            secret = None if terminal is None else bytes.fromhex(terminal.secret_hex)
        with self._lock:
            if secret is None:
                self._secrets.pop(terminal_id, None)
            else:
                self._secrets[terminal_id] = (secret, now)
        return secret

    async def check_terminal_and_time_async(self, headers: SignedHeaders,
                                            now: datetime) -> bytes:
        """As :meth:`check_terminal_and_time`; a cached secret needs no worker thread."""
        secret = self._cached(headers.terminal_id, now)
        if secret is None:
            secret = await run_in_threadpool(self._secret, headers.terminal_id, now)
        return self._check(headers, now, secret)

    def check_terminal_and_time(self, headers: SignedHeaders, now: datetime) -> bytes:
        """The checks that need no body. Returns the terminal's secret."""
        return self._check(headers, now, self._secret(headers.terminal_id, now))

    def _check(self, headers: SignedHeaders, now: datetime, secret: bytes | None) -> bytes:
        if secret is None:
            raise _unauthorized("unknown_terminal", "terminal is not registered")
        offset = int(headers.timestamp) - now.timestamp()
        if abs(offset) > self.max_skew_s:
            raise _unauthorized("clock_skew",
                                f"timestamp is {offset:+.0f} s from the server clock "
                                f"(limit ±{self.max_skew_s} s)")
        return secret

    def finish(self, headers: SignedHeaders, secret: bytes, *, now: datetime,
               body: bytes | None = None, body_sha256: str | None = None) -> None:
        """Check the HMAC (over the body, or its digest when streamed) and use up the nonce."""
        if body is not None:
            ok = signing.verify(secret, headers.signature, headers.method,
                                headers.path_and_query, headers.timestamp, headers.nonce, body)
        else:
            assert body_sha256 is not None
            ok = signature_matches(secret, headers, body_sha256)
        if not ok:
            raise _unauthorized("bad_signature", "signature does not match the request")
        self.record_nonce(headers, now)

    def record_nonce(self, headers: SignedHeaders, now: datetime) -> None:
        """Remember a nonce; 401 ``replayed_nonce`` when it is already there.

        Written through the non-durable sessions (see ``create_app``): a nonce
        lost to a power cut only reopens a replay window that the outage itself
        mostly spent, and skipping the fsync halves the cost of a signed read.
        """
        # A nonce can only be replayed while its timestamp is still acceptable, so
        # it is kept until then (and a second more) and forgotten afterwards.
        expires = datetime.fromtimestamp(int(headers.timestamp), now.tzinfo) \
            + timedelta(seconds=self.max_skew_s + 1)
        with self._lock:
            purge = self._last_purge is None or \
                abs((now - self._last_purge).total_seconds()) >= self.PURGE_EVERY_S
            if purge:
                self._last_purge = now
        try:
            with transaction(self._fast) as session:
                if session.get_bind().dialect.name == "postgresql":
                    session.execute(text("SET LOCAL synchronous_commit = off"))
                if purge:
                    session.execute(delete(Nonce).where(Nonce.expires_at < now))
                else:
                    # The row of an expired nonce may still be there: let it go.
                    session.execute(delete(Nonce).where(
                        Nonce.terminal_id == headers.terminal_id,
                        Nonce.nonce == headers.nonce, Nonce.expires_at < now))
                session.add(Nonce(terminal_id=headers.terminal_id, nonce=headers.nonce,
                                  expires_at=expires))
        except IntegrityError:
            raise _unauthorized("replayed_nonce", "this nonce was already used") from None


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "too_large", f"body of {declared} bytes exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def signed_request(request: Request) -> Signed:
    """FastAPI dependency: authenticate a terminal request with a small body."""
    state = request.app.state
    terminals: TerminalAuth = state.auth
    headers = parse_headers(request)
    now = state.settings.clock.now()
    secret = await terminals.check_terminal_and_time_async(headers, now)
    body = await read_body(request, state.settings.max_case_bytes)
    await run_in_threadpool(lambda: terminals.finish(headers, secret, body=body, now=now))
    return Signed(terminal_id=headers.terminal_id, body=body)


#: Route parameter type for a signed terminal request with a small body.
SignedRequest = Annotated[Signed, Depends(signed_request)]


def require_staff(request: Request) -> str:
    """FastAPI dependency: ``Authorization: Bearer <staff token>``."""
    token = request.app.state.settings.staff_token
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if not token:
        raise ApiError(401, "bad_staff_token", "no staff token is configured on this server")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(),
                                                             token.encode()):
        raise ApiError(401, "bad_staff_token", "missing or wrong staff bearer token")
    return "staff"
