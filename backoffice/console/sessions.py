"""Console logins: sessions in the database (every server process sees them), CSRF tokens.

A session is a random cookie value; the row keeps only its SHA-256, the account,
a CSRF token, and two limits: ``idle_s`` without a request and ``max_s`` after the
login. Each request re-reads the account, so a removed account or one demoted to
the ``staff`` role is out at its next click. Only ``technician`` and ``admin`` may
log in (``CONSOLE_ROLES``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from backoffice import audit
from backoffice.console_models import ConsoleSession
from backoffice.db import transaction
from backoffice.models import StaffAccount
from backoffice.staffauth import StaffPrincipal

CONSOLE_ROLES = ("technician", "admin")
#: A session's last-seen time is written at most this often (a page view is a read).
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class ConsoleUser:
    name: str
    role: str
    csrf: str

    @property
    def actor(self) -> str:
        return f"staff:{self.name}"

    def csrf_ok(self, given: str) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), self.csrf.encode())


def _hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def start(factory: sessionmaker[Session], who: StaffPrincipal, now: datetime,
          max_s: float) -> str:
    """A new session for ``who``; returns the cookie value (shown to nobody else)."""
    cookie = secrets.token_urlsafe(32)
    with transaction(factory) as session:
        session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
        session.add(ConsoleSession(id_hash=_hash(cookie), account=who.name,
                                   csrf=secrets.token_urlsafe(32), created_at=now,
                                   last_seen_at=now,
                                   expires_at=now + timedelta(seconds=max_s)))
        audit.record(session, now, who.actor, "console_login", who.name)
    return cookie


def find(factory: sessionmaker[Session], cookie: str, now: datetime,
         idle_s: float) -> ConsoleUser | None:
    """The logged-in user of ``cookie``, or None (unknown, expired, idle, account gone)."""
    if not cookie or len(cookie) > 100:
        return None
    key = _hash(cookie)
    with transaction(factory, write=False) as session:
        row = session.get(ConsoleSession, key)
        account = None if row is None else session.get(StaffAccount, row.account)
        if row is None or account is None:
            return None
        user = ConsoleUser(account.name, account.role, row.csrf)
        alive = now < row.expires_at and now - row.last_seen_at < timedelta(seconds=idle_s)
        touch = now - row.last_seen_at >= TOUCH_EVERY
    if not alive or user.role not in CONSOLE_ROLES:
        end(factory, cookie)
        return None
    if touch:
        with transaction(factory) as session:
            row = session.get(ConsoleSession, key)
            if row is not None:
                row.last_seen_at = now
    return user


def end(factory: sessionmaker[Session], cookie: str) -> None:
    with transaction(factory) as session:
        session.execute(delete(ConsoleSession).where(ConsoleSession.id_hash == _hash(cookie)))
