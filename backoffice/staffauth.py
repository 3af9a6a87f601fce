"""Staff accounts: one per person, a role each, hashed tokens, limited failures.

A token is ``<account>.<secret>`` (``scripts/backoffice staff-account add``
prints it once); the database keeps only an scrypt hash of the secret, so a
copy of the database logs nobody in. Roles:

* ``staff``: case work (list, show, transition, receive materials);
* ``technician``: the terminals' heartbeats;
* ``admin``: everything, and the audit log.

Every staff action is recorded in the audit log under the account's name
(never a name the request body claims). Failed logins are counted in the
database per client address and per account name: after
``FAILURES.limit`` in ``FAILURES.window`` both answer 429 until the window
ends, whatever the token, so guessing is slow for every server process.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from backoffice import ratelimit
from backoffice.db import transaction
from backoffice.errors import ApiError
from backoffice.models import StaffAccount

ROLES = ("staff", "technician", "admin")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
#: scrypt cost (RFC 7914): ~16 MiB and tens of milliseconds per check.
_N, _R, _P = 2 ** 14, 8, 1
FAILURES = ratelimit.Limit("staff-login-failures", 10, timedelta(minutes=10))


@dataclass(frozen=True)
class StaffPrincipal:
    name: str
    role: str

    def may(self, role: str) -> bool:
        return self.role == role or self.role == "admin"

    @property
    def actor(self) -> str:
        return f"staff:{self.name}"


def hash_secret(secret: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def secret_matches(secret: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(bytes.fromhex(digest)))
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def add_account(factory: sessionmaker[Session], name: str, role: str, now: datetime,
                token: str | None = None) -> str:
    """Create (or re-key) an account; returns its token ``name.secret``, shown once."""
    if not NAME_RE.match(name):
        raise ApiError(422, "invalid_request", "account name must be [a-z0-9_-], 1-32 chars")
    if role not in ROLES:
        raise ApiError(422, "invalid_request", f"role must be one of {', '.join(ROLES)}")
    token = token or f"{name}.{secrets.token_urlsafe(24)}"
    if not token.startswith(f"{name}.") or len(token) < len(name) + 17:
        raise ApiError(422, "invalid_request", "token must be NAME.SECRET, 16+ secret chars")
    stored = hash_secret(token.split(".", 1)[1])
    with transaction(factory) as session:
        account = session.get(StaffAccount, name)
        if account is None:
            session.add(StaffAccount(name=name, role=role, token_hash=stored, created_at=now))
        else:
            account.role, account.token_hash = role, stored
    return token


def remove_account(factory: sessionmaker[Session], name: str) -> None:
    with transaction(factory) as session:
        if session.get(StaffAccount, name) is None:
            raise ApiError(404, "not_found", f"no staff account {name}")
        session.execute(delete(StaffAccount).where(StaffAccount.name == name))


def accounts(factory: sessionmaker[Session]) -> list[tuple[str, str]]:
    with transaction(factory, write=False) as session:
        return [(a.name, a.role) for a in
                session.scalars(select(StaffAccount).order_by(StaffAccount.name))]


class StaffAuth:
    """Checks bearer tokens; a token that checked out is remembered for ``CACHE_S``
    (scrypt is deliberately slow), an account removed or re-keyed stops working then."""

    CACHE_S = 30.0

    def __init__(self, sessions: sessionmaker[Session], counters: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._counters = counters
        self._lock = threading.Lock()
        self._known: dict[str, tuple[StaffPrincipal, datetime]] = {}

    def authenticate(self, authorization: str, client: str, now: datetime) -> StaffPrincipal:
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        name = token.split(".", 1)[0] if "." in token else ""
        key = hashlib.sha256(token.encode()).hexdigest()
        with self._lock:
            cached = self._known.get(key)
        if cached is not None and abs((now - cached[1]).total_seconds()) < self.CACHE_S:
            return cached[0]
        for who in (f"client:{client}", f"account:{name}"):
            wait = ratelimit.peek(self._counters, FAILURES, who, now)
            if wait is not None:
                raise ApiError(429, "rate_limited", f"too many failed logins; retry in "
                               f"{wait:.0f} s", retry_after=wait)
        principal = self._check(scheme, name, token) if NAME_RE.match(name) else None
        if principal is None:
            for who in (f"client:{client}", f"account:{name}"):
                ratelimit.hit(self._counters, FAILURES, who, now)
            raise ApiError(401, "bad_staff_token", "missing or wrong staff bearer token")
        with self._lock:
            self._known[key] = (principal, now)
        return principal

    def _check(self, scheme: str, name: str, token: str) -> StaffPrincipal | None:
        if scheme.lower() != "bearer":
            return None
        with transaction(self._sessions, write=False) as session:
            account = session.get(StaffAccount, name)
            found = None if account is None else (account.role, account.token_hash)
        if found is None:
            hash_secret("x")  # as slow as a real check: no timing tells which names exist
            return None
        if not secret_matches(token.split(".", 1)[1], found[1]):
            return None
        return StaffPrincipal(name, found[0])
