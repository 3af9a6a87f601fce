"""The outbox's SQLite schema, its migrations, and the records it hands out.

Schema changes are appended to :data:`MIGRATIONS` and never edited: each runs
once, in its own transaction, and is recorded in the ``migrations`` table, so a
kiosk that was switched off during an upgrade resumes where it stopped.
"""

from __future__ import annotations

import enum
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

from kiosk.errors import OutboxError


class CaseState(enum.StrEnum):
    PENDING = "pending"        # stored, waiting for the sender
    SENDING = "sending"        # claimed by the sender; back to pending after a crash
    DELIVERED = "delivered"    # the back office gave a case number; personal data purged
    REFUSED = "refused"        # permanent 4xx; kept (encrypted) for staff, never deleted


MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (1, "initial", (
        """CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)""",
        # Daily reference sequence: advanced in the same transaction as the case row.
        """CREATE TABLE ref_seq (day TEXT PRIMARY KEY, seq INTEGER NOT NULL)""",
        """CREATE TABLE cases (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ref TEXT NOT NULL UNIQUE,
            state TEXT NOT NULL CHECK (state IN
                ('pending', 'sending', 'delivered', 'refused')),
            enqueued_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL DEFAULT 0,
            payload BLOB,               -- sealed CaseSubmission body; NULL once delivered
            bytes INTEGER NOT NULL,     -- payload + blob bytes, for the pending-bytes cap
            case_number TEXT,
            received_at TEXT,
            delivered_at REAL,
            http_status INTEGER,
            reason TEXT,
            last_error TEXT
        )""",
        """CREATE INDEX cases_by_state ON cases (state, id)""",
        # Blobs are content-addressed and shared between cases (deduplicated).
        """CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            sealed BLOB NOT NULL
        )""",
        """CREATE TABLE case_blobs (
            case_id INTEGER NOT NULL REFERENCES cases (id),
            ordinal INTEGER NOT NULL,
            sha256 TEXT NOT NULL REFERENCES blobs (sha256),
            content_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            uploaded INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (case_id, sha256)
        )""",
        """CREATE INDEX case_blobs_by_sha ON case_blobs (sha256)""",
    )),
    # A blob first stored by this case cannot be on the server before this case's
    # first attempt, so the sender skips the HEAD for it (one round trip per page).
    (2, "case_blobs.fresh", (
        """ALTER TABLE case_blobs ADD COLUMN fresh INTEGER NOT NULL DEFAULT 0""",
    )),
    # Server errors (5xx, garbage answers) for this very case: after a few, the
    # sender parks it for staff instead of retrying it for ever.
    (3, "cases.server_errors", (
        """ALTER TABLE cases ADD COLUMN server_errors INTEGER NOT NULL DEFAULT 0""",
    )),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to :data:`SCHEMA_VERSION`; returns the version found before."""
    conn.execute("CREATE TABLE IF NOT EXISTS migrations ("
                 "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)")
    row = conn.execute("SELECT MAX(version) FROM migrations").fetchone()
    found = int(row[0] or 0)
    if found > SCHEMA_VERSION:
        raise OutboxError(f"outbox schema {found} was written by a newer kiosk "
                          f"(this one knows {SCHEMA_VERSION}); refusing to touch it")
    for version, name, statements in MIGRATIONS:
        if version <= found:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for sql in statements:
                conn.execute(sql)
            conn.execute("INSERT INTO migrations VALUES (?, ?, ?)", (version, name, time.time()))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return found


@dataclass(frozen=True)
class BlobRef:
    sha256: str
    content_type: str
    size: int
    uploaded: bool
    #: Stored in the outbox by this very case: the back office cannot have it yet.
    fresh: bool = False


@dataclass(frozen=True)
class OutboxItem:
    """A case claimed by the sender: the exact body to POST and the blobs to upload."""

    kiosk_ref: str
    body: bytes = field(repr=False)
    blobs: tuple[BlobRef, ...]
    attempts: int


@dataclass(frozen=True)
class CaseRecord:
    """What staff and diagnostics may see of a case: no personal data."""

    kiosk_ref: str
    state: CaseState
    attempts: int
    enqueued_at: float
    next_attempt_at: float
    case_number: str | None
    received_at: str | None
    delivered_at: float | None
    http_status: int | None
    reason: str | None
    last_error: str | None


@dataclass(frozen=True)
class OutboxStats:
    pending: int
    sending: int
    delivered: int
    refused: int
    pending_bytes: int
    oldest_pending_age_s: float | None
    accepting: bool
    hold_until: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"pending": self.pending, "sending": self.sending,
                "delivered": self.delivered, "refused": self.refused,
                "pending_bytes": self.pending_bytes,
                "oldest_pending_age_s": self.oldest_pending_age_s,
                "accepting": self.accepting, "hold_until": self.hold_until}


RECORD_COLUMNS = ("ref, state, attempts, enqueued_at, next_attempt_at, case_number, "
                  "received_at, delivered_at, http_status, reason, last_error")


def record_from_row(row: tuple[object, ...]) -> CaseRecord:
    ref, state, attempts, enq, nxt, number, received, delivered, status, reason, err = row
    return CaseRecord(
        kiosk_ref=str(ref), state=CaseState(str(state)), attempts=int(str(attempts)),
        enqueued_at=float(str(enq)), next_attempt_at=float(str(nxt)),
        case_number=None if number is None else str(number),
        received_at=None if received is None else str(received),
        delivered_at=None if delivered is None else float(str(delivered)),
        http_status=None if status is None else int(str(status)),
        reason=None if reason is None else str(reason),
        last_error=None if err is None else str(err))
