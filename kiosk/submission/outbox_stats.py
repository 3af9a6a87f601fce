"""Outbox counts for diagnostics and heartbeats: no personal data, no key needed.

:func:`compute_stats` serves :meth:`kiosk.submission.outbox.Outbox.stats`; :func:`peek_stats`
reads the same numbers from a read-only connection, so ``scripts/diagnose`` can
report them while the kiosk runs (the kiosk process holds the outbox's lock, and
a second ``Outbox`` would also "recover" cases the running sender is sending).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kiosk.config.model import KioskConfig, resolve
from kiosk.errors import OutboxError
from kiosk.submission.outbox_schema import OutboxStats


def pending_totals(c: sqlite3.Connection) -> tuple[int, int]:
    """Cases waiting (pending or sending) and their bytes: what the caps count."""
    row = c.execute("SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM cases "
                    "WHERE state IN ('pending', 'sending')").fetchone()
    return int(row[0]), int(row[1])


def compute_stats(c: sqlite3.Connection, now: float, max_pending_cases: int,
                  max_pending_bytes: int) -> OutboxStats:
    counts = {str(k): int(v) for k, v in
              c.execute("SELECT state, COUNT(*) FROM cases GROUP BY state")}
    count, size = pending_totals(c)
    oldest = c.execute("SELECT MIN(enqueued_at) FROM cases WHERE state IN "
                       "('pending', 'sending')").fetchone()[0]
    hold = c.execute("SELECT value FROM meta WHERE key='hold_until'").fetchone()
    return OutboxStats(
        pending=counts.get("pending", 0), sending=counts.get("sending", 0),
        delivered=counts.get("delivered", 0), refused=counts.get("refused", 0),
        pending_bytes=size,
        accepting=count < max_pending_cases and size < max_pending_bytes,
        oldest_pending_age_s=None if oldest is None else max(0.0, now - float(oldest)),
        hold_until=None if hold is None else float(hold[0]))


def peek_stats(path: Path, now: float, *, max_pending_cases: int,
               max_pending_bytes: int) -> OutboxStats:
    """The counts of the outbox at ``path``, read-only, beside a running kiosk."""
    if not path.exists():
        raise OutboxError(f"{path}: no outbox yet")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
        try:
            return compute_stats(conn, now, max_pending_cases, max_pending_bytes)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise OutboxError(f"{path}: cannot read the outbox: {exc}") from None


def peek_config_stats(config: KioskConfig, now: float) -> OutboxStats:
    return peek_stats(resolve(config.outbox.path), now,
                      max_pending_cases=config.outbox.max_pending_cases,
                      max_pending_bytes=config.outbox.max_pending_bytes)
