"""Tables of the reference back office (SQLAlchemy 2 typed ORM).

Column lengths match the limits in ``schemas.py`` (PostgreSQL enforces them).
Uniqueness that the intake relies on lives in the database, not in Python:
``cases.kiosk_ref`` (the idempotency key) and ``cases.case_number`` are
unique, and ``nonces`` has (terminal, nonce) as its key, so several server
processes on one database still see one truth.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from backoffice.db import Base


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (naive) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Terminal(Base):
    __tablename__ = "terminals"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret_hex: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: The last heartbeat body (device states, outbox counters), as sent.
    health: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class TerminalPrefix(Base):
    """The kiosk-reference prefix a terminal was registered with (one owner per prefix)."""

    __tablename__ = "terminal_prefixes"

    prefix: Mapped[str] = mapped_column(String(4), primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(64), unique=True)


class TerminalSuite(Base):
    """A terminal's signing suite when it is not the default
    (kiosk/submission/signing.py SUITES)."""

    __tablename__ = "terminal_suites"

    terminal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    suite: Mapped[str] = mapped_column(String(32))


class TerminalOldSecret(Base):
    """A terminal's secret before a rotation (sealed like the current one): it still
    signs until ``sign_until`` (the grace period in which the kiosk switches), and
    checks forever the query tokens of receipts printed while it was current."""

    __tablename__ = "terminal_old_secrets"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    terminal_id: Mapped[str] = mapped_column(String(64), index=True)
    secret_hex: Mapped[str] = mapped_column(String(128))
    suite: Mapped[str] = mapped_column(String(32))
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sign_until: Mapped[datetime] = mapped_column(UTCDateTime())


class Nonce(Base):
    __tablename__ = "nonces"

    terminal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Material(Base):
    __tablename__ = "materials"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(64))
    terminal_id: Mapped[str] = mapped_column(String(64))
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RateCount(Base):
    """Requests counted per key and fixed window (backoffice/ratelimit.py)."""

    __tablename__ = "rate_counts"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True, index=True)
    count: Mapped[int] = mapped_column(Integer)


class VerificationEvent(Base):
    """A terminal's report that it verified an applicant, as the server recorded it
    (its time, not the terminal's): what an applicant listing is bound to."""

    __tablename__ = "verification_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(64), index=True)
    id_number: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(32))
    score: Mapped[float | None] = mapped_column(default=None)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    listings: Mapped[int] = mapped_column(Integer, default=0)


class StaffAccount(Base):
    """One person's staff login (backoffice/staffauth.py): a role and a hashed token."""

    __tablename__ = "staff_accounts"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEvent(Base):
    """Who did what, when: staff actions and every applicant listing."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class AssistRequest(Base):
    """A citizen at a terminal asked for a member of staff (呼叫工作人员): where and at
    which step, never who."""

    __tablename__ = "assist_requests"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    terminal_id: Mapped[str] = mapped_column(String(64), index=True)
    item_code: Mapped[str | None] = mapped_column(String(64), default=None)
    step: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None,
                                                       index=True)
    closed_by: Mapped[str | None] = mapped_column(String(80), default=None)

    @property
    def number(self) -> str:
        """What the citizen's screen shows and staff call out: short, not a sequence
        anyone could mistake for a case number."""
        return f"H{self.id % 1000:03d}"


class DayCounter(Base):
    """Last sequence number handed out per China-time day, for case numbers."""

    __tablename__ = "day_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_number: Mapped[str] = mapped_column(String(32), unique=True)
    kiosk_ref: Mapped[str] = mapped_column(String(64), unique=True)
    #: SHA-256 of the canonical JSON of the submission: "the same body" (API.md).
    body_hash: Mapped[str] = mapped_column(String(64))
    terminal_id: Mapped[str] = mapped_column(String(64))
    site_id: Mapped[str] = mapped_column(String(64))
    item_code: Mapped[str] = mapped_column(String(64))
    id_number: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    collect: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    submission: Mapped[dict[str, Any]] = mapped_column(JSON)

    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan")
    owed: Mapped[list[OwedMaterial]] = relationship(
        back_populates="case", order_by="OwedMaterial.id", cascade="all, delete-orphan")


class CaseEvent(Base):
    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")
    staff: Mapped[str] = mapped_column(String(200), default="")

    case: Mapped[Case] = relationship(back_populates="events")


class OwedMaterial(Base):
    """A 容缺 commitment or a 补正 request, until staff mark it received."""

    __tablename__ = "owed_materials"
    __table_args__ = (Index("ix_owed_case_code", "case_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    deadline: Mapped[date | None] = mapped_column(Date, default=None)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    case: Mapped[Case] = relationship(back_populates="owed")


class IdentityCode(Base):
    """An identity code (亮码) the platform issued: found by the SHA-256 of the code, never
    by the code itself (which is not stored). ``payload`` is the identity it stands for,
    sealed with the master key (AES-256-GCM bound to the hash); it is erased when the code
    is used or expires, and the row itself a day later (backoffice/identitycodes.py)."""

    __tablename__ = "identity_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    used_by: Mapped[str | None] = mapped_column(String(64), default=None)
    payload: Mapped[str | None] = mapped_column(Text, default=None)
# ---- fleet control (backoffice/fleet.py, backoffice/commands.py) ----------------------
# New tables only: Base.metadata.create_all creates missing tables on an existing
# database but never alters one, so nothing here adds a column to an older table.


class CatalogVersion(Base):
    """One published catalog (``scripts/backoffice catalog publish DIR``); the newest row
    is the one served. ``content`` is the catalog as the kiosk's loader dumps it."""

    __tablename__ = "catalog_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(String(64), index=True)
    #: SHA-256 of the canonical JSON of ``content`` (kiosk.catalog.document.digest).
    digest: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(400), default="")


class SiteSettingsVersion(Base):
    """The centrally managed part of one site profile (items offered, branding, idle
    timeouts), versioned per site; the newest row of a site is the one served."""

    __tablename__ = "site_settings_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by: Mapped[str] = mapped_column(String(80))


class TerminalCommand(Base):
    """A command for one terminal, pulled by its heartbeat (backoffice/commands.py)."""

    __tablename__ = "terminal_commands"
    __table_args__ = (Index("ix_terminal_commands_open", "terminal_id", "status"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: pending (never delivered), delivered, done, failed
    status: Mapped[str] = mapped_column(String(16))
    deliveries: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class DiagnosticBundle(Base):
    """A diagnostic bundle a terminal uploaded (blob in ``<data dir>/bundles``)."""

    __tablename__ = "diagnostic_bundles"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime())
