"""Terminal request signatures (API.md "Terminal authentication") and staff roles.

Checks run in this order, each a 401, all before any byte of the body is
read: headers present and well formed (``bad_signature``), HMAC over the
canonical string (``bad_signature``; the body's hash is the one the request
declares: ``X-Content-SHA256``, the path's digest for materials, the empty
body's otherwise), timestamp within ±300 s (``clock_skew``), nonce unused
(``replayed_nonce``). An unregistered terminal is answered exactly like a
wrong signature (an HMAC is computed with a throwaway key), so an outsider
cannot learn which terminal ids exist; ``clock_skew`` comes after the HMAC
for the same reason. The body is read afterwards and must hash to the
declared digest (else ``bad_signature`` too). Nonces are rows with an expiry
in the database, so a replay is caught even when it reaches another server
process on the same database.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from backoffice.db import relax_commit, transaction, upsert
from backoffice.errors import ApiError
from backoffice.keystore import SEALED_PREFIX, SecretBox
from backoffice.lanes import Lane
from backoffice.models import Nonce, Terminal, TerminalOldSecret, TerminalSuite
from backoffice.staffauth import StaffAuth, StaffPrincipal
from kiosk.submission import signing

_HEX64 = re.compile(r"^[0-9A-Fa-f]{64}$")
_BAD_SIGNATURE = "signature does not match the request"
#: Compared against when the terminal is unknown, so that both cost one HMAC.
_NO_SECRET = bytes(32)
#: Opened (and failing) when the terminal is unknown, so that both cost one unsealing.
_NO_ROW = SEALED_PREFIX + bytes(12 + 32 + 16).hex()


@dataclass(frozen=True)
class SignedHeaders:
    terminal_id: str
    timestamp: str
    nonce: str
    signature: str
    method: str
    path_and_query: str
    #: ``X-Content-SHA256`` (lowercase) when the request declared its body's digest.
    content_sha256: str | None = None


@dataclass(frozen=True)
class Signed:
    """An authenticated request: who sent it and its raw body."""

    terminal_id: str
    body: bytes
    #: The key and suite the request was signed with: what the reply's commands are
    #: signed with (during a rotation's grace period, the old key the kiosk still holds).
    secret: bytes = b""
    suite: str = signing.DEFAULT_SUITE


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
        raise _unauthorized("bad_signature", _BAD_SIGNATURE)
    declared = h.get(signing.CONTENT_SHA256_HEADER)
    if declared is not None and not _HEX64.match(declared):
        raise _unauthorized("bad_signature",
                            f"{signing.CONTENT_SHA256_HEADER} must be 64 hex characters")
    return SignedHeaders(values["X-Terminal-Id"], values["X-Timestamp"], values["X-Nonce"],
                         values["X-Signature"], request.method.upper(), path_and_query(request),
                         declared.lower() if declared is not None else None)


def signature_matches(secret: bytes, headers: SignedHeaders, body_sha256: str,
                      suite: str = signing.DEFAULT_SUITE) -> bool:
    """HMAC check from the body's digest, for bodies streamed to disk.

    Builds the same canonical string as :func:`kiosk.submission.signing.canonical_string`
    (a test keeps the two equal) without holding the body in memory.
    """
    expected = signing.sign_digest(secret, headers.method, headers.path_and_query,
                                   headers.timestamp, headers.nonce, body_sha256, suite)
    return hmac.compare_digest(expected, headers.signature.lower())


@dataclass(frozen=True)
class TerminalKeys:
    """A terminal's current secret and suite, and the secrets it had before a rotation
    (each with its suite and the end of its grace period for signing)."""

    secret: bytes
    suite: str
    retired: tuple[tuple[bytes, str, datetime], ...] = ()

    def signing(self, now: datetime) -> list[tuple[bytes, str]]:
        """The (secret, suite) pairs a request may be signed with at ``now``."""
        return [(self.secret, self.suite)] + [(s, suite) for s, suite, until in self.retired
                                              if now < until]


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
                 max_skew_s: int, secret_box: SecretBox) -> None:
        self._box = secret_box
        self._sessions = sessions
        self._fast = fast_sessions
        self.max_skew_s = max_skew_s
        self._lock = threading.Lock()
        #: terminal -> (its keys, when read); see :class:`TerminalKeys`
        self._keys: dict[str, tuple[TerminalKeys, datetime]] = {}
        self._last_purge: datetime | None = None

    def _cached(self, terminal_id: str, now: datetime) -> TerminalKeys | None:
        with self._lock:
            cached = self._keys.get(terminal_id)
        if cached is not None and abs((now - cached[1]).total_seconds()) < self.SECRET_TTL_S:
            return cached[0]
        return None

    def _load(self, session: Session, terminal_id: str, now: datetime) -> TerminalKeys | None:
        """Read a terminal's keys in ``session`` (one query: its secret, its suite and its
        retired secrets, newest first) and remember them for ``SECRET_TTL_S``."""
        rows = session.execute(
            select(Terminal.secret_hex, TerminalSuite.suite, TerminalOldSecret.secret_hex,
                   TerminalOldSecret.suite, TerminalOldSecret.sign_until)
            .select_from(Terminal)
            .outerjoin(TerminalSuite, TerminalSuite.terminal_id == Terminal.id)
            .outerjoin(TerminalOldSecret, TerminalOldSecret.terminal_id == Terminal.id)
            .where(Terminal.id == terminal_id)
            .order_by(TerminalOldSecret.retired_at.desc(), TerminalOldSecret.id.desc())).all()
        secret = self._box.open(terminal_id, rows[0][0] if rows else _NO_ROW)
        retired = () if secret is None else tuple(
            (s, suite, until) for _hex, _suite, old_hex, suite, until in rows
            if old_hex is not None and (s := self._box.open(terminal_id, old_hex)) is not None)
        keys = None if secret is None else TerminalKeys(
            secret, rows[0][1] or signing.DEFAULT_SUITE, retired)
        with self._lock:
            if keys is None:
                self._keys.pop(terminal_id, None)
            else:
                self._keys[terminal_id] = (keys, now)
        return keys

    def _read(self, terminal_id: str, now: datetime) -> TerminalKeys | None:
        cached = self._cached(terminal_id, now)
        if cached is not None:
            return cached
        with transaction(self._sessions, write=False) as session:
            return self._load(session, terminal_id, now)

    def secrets_of(self, terminal_id: str, now: datetime) -> tuple[bytes, ...]:
        """Every secret a registered terminal has had, current first (a receipt's query
        token was made with the one current when it printed); empty when unknown."""
        keys = self._read(terminal_id, now)
        return () if keys is None else (keys.secret, *(s for s, _suite, _ in keys.retired))

    async def authenticate_async(self, headers: SignedHeaders, body_sha256: str,
                                 now: datetime, lane: Lane | None = None) -> tuple[bytes, str]:
        """As :meth:`authenticate`. With the secret cached, a bad signature is refused
        without leaving the event loop; the nonce (and, when the secret is not cached,
        its reading) is one transaction in a worker thread: in ``lane``'s threads on its
        sessions when given (backoffice/lanes.py), else in the shared ones. Returns the
        (secret, suite) the request was signed with."""
        used = self._check_cached(headers, body_sha256, now)
        if lane is not None:
            return await lane.run(self._verify, headers, body_sha256, now, used, lane.fast)
        return await run_in_threadpool(self._verify, headers, body_sha256, now, used)

    def authenticate(self, headers: SignedHeaders, body_sha256: str,
                     now: datetime) -> tuple[bytes, str]:
        """Every check (signature over ``body_sha256``, clock, nonce); nothing is read.
        Returns the (secret, suite) the request was signed with."""
        used = self._check_cached(headers, body_sha256, now)
        return self._verify(headers, body_sha256, now, used)

    def _check_cached(self, headers: SignedHeaders, body_sha256: str,
                      now: datetime) -> tuple[bytes, str] | None:
        """The check against keys held in memory, when the terminal's are. A signature
        that fails it is checked again in :meth:`_verify`, against the database, as one
        from an id that is not cached (or does not exist) is: answered in the same time,
        so that the time taken does not tell an outsider which terminal ids exist."""
        keys = self._cached(headers.terminal_id, now)
        if keys is None:
            return None
        try:
            return self._check(headers, body_sha256, now, keys)
        except ApiError as exc:
            if exc.code == "bad_signature":
                return None
            raise

    def _check(self, headers: SignedHeaders, body_sha256: str, now: datetime,
               keys: TerminalKeys | None) -> tuple[bytes, str]:
        if keys is None:
            signature_matches(_NO_SECRET, headers, body_sha256)  # the same cost as a check
            raise _unauthorized("bad_signature", _BAD_SIGNATURE)
        used = next(((secret, suite) for secret, suite in keys.signing(now)
                     if signature_matches(secret, headers, body_sha256, suite)), None)
        if used is None:
            raise _unauthorized("bad_signature", _BAD_SIGNATURE)
        offset = int(headers.timestamp) - now.timestamp()
        if abs(offset) > self.max_skew_s:
            raise _unauthorized("clock_skew",
                                f"timestamp is {offset:+.0f} s from the server clock "
                                f"(limit ±{self.max_skew_s} s)")
        return used

    def _verify(self, headers: SignedHeaders, body_sha256: str, now: datetime,
                used: tuple[bytes, str] | None,
                sessions: sessionmaker[Session] | None = None) -> tuple[bytes, str]:
        """One transaction: the terminal's keys (unless already checked against the
        cache: ``used``, the key that matched), the signature check, and the nonce
        recorded; 401 ``replayed_nonce`` when the nonce is already there. Returns the
        (secret, suite) the request was signed with.

        Written through the non-durable sessions (see ``create_app``; on PostgreSQL
        ``synchronous_commit = off`` for this transaction only): a nonce lost to a power
        cut only reopens a replay window that the outage itself mostly spent. The keys
        are read in the same transaction so that a signed request costs one round of
        the database, not two, when the cache has expired (a terminal beating every
        60 s always finds it expired).
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
        with transaction(sessions or self._fast) as session:
            relax_commit(session)
            if used is None:
                used = self._check(headers, body_sha256, now,
                                   self._load(session, headers.terminal_id, now))
            if purge:
                session.execute(delete(Nonce).where(Nonce.expires_at < now))
            # A new row, or the row of an expired nonce taken over; a live one is a replay.
            stored = session.execute(upsert(session, Nonce).values(
                terminal_id=headers.terminal_id, nonce=headers.nonce, expires_at=expires)
                .on_conflict_do_update(index_elements=["terminal_id", "nonce"],
                                       set_={"expires_at": expires},
                                       where=Nonce.expires_at < now)
                .returning(Nonce.nonce)).scalar_one_or_none()
            if stored is None:
                raise _unauthorized("replayed_nonce", "this nonce was already used")
        return used


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
    """FastAPI dependency: authenticate a terminal request with a small body.

    The signature is checked against the declared digest before the body is
    read, so an unauthenticated sender cannot make the server buffer anything.
    """
    return await signed_in(request, None)


async def signed_in(request: Request, lane: Lane | None) -> Signed:
    """:func:`signed_request`, its database work in ``lane`` (backoffice/lanes.py)."""
    state = request.app.state
    terminals: TerminalAuth = state.auth
    headers = parse_headers(request)
    declared = headers.content_sha256 or signing.EMPTY_SHA256
    secret, suite = await terminals.authenticate_async(headers, declared,
                                                       state.settings.clock.now(), lane)
    body = await read_body(request, state.settings.max_case_bytes)
    if hashlib.sha256(body).hexdigest() != declared:
        raise _unauthorized("bad_signature", "the body does not match the signed digest "
                            f"({signing.CONTENT_SHA256_HEADER})")
    return Signed(terminal_id=headers.terminal_id, body=body, secret=secret, suite=suite)


#: Route parameter type for a signed terminal request with a small body.
SignedRequest = Annotated[Signed, Depends(signed_request)]


def _principal(request: Request) -> StaffPrincipal:
    state = request.app.state
    staff: StaffAuth = state.staff_auth
    client = request.client.host if request.client else ""
    return staff.authenticate(request.headers.get("authorization", ""), client,
                              state.settings.clock.now())


def require_role(role: str) -> Callable[[Request], StaffPrincipal]:
    """FastAPI dependency: ``Authorization: Bearer <account>.<secret>`` with ``role``
    (or admin); 401 ``bad_staff_token``, 403 ``forbidden`` for another role."""
    def check(request: Request) -> StaffPrincipal:
        principal = _principal(request)
        if not principal.may(role):
            raise ApiError(403, "forbidden", f"this needs the {role} role")
        return principal
    return check


#: Route parameter types for the staff routes.
CaseWorker = Annotated[StaffPrincipal, Depends(require_role("staff"))]
Technician = Annotated[StaffPrincipal, Depends(require_role("technician"))]
Admin = Annotated[StaffPrincipal, Depends(require_role("admin"))]
