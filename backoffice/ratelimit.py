"""Per-key request limits kept in the database, so every server process shares them.

A stolen terminal secret (or a curious terminal) must not become a way to
read cases or enumerate applicants, and a guessed staff token must not get
unlimited tries. Each limit is a count per fixed window, one row per key and
window, incremented inside a transaction: several server processes (or
hosts) on one database see one count. A burst beyond the limit is refused
with 429 and ``Retry-After`` until the window ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from backoffice.db import transaction
from backoffice.errors import ApiError
from backoffice.models import RateCount

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
#: Rows of windows older than this are deleted now and then.
KEEP = timedelta(days=1)


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    window: timedelta

    def window_start(self, now: datetime) -> datetime:
        size = self.window.total_seconds()
        return _EPOCH + timedelta(seconds=((now - _EPOCH).total_seconds() // size) * size)


def hit(factory: sessionmaker[Session], limit: Limit, key: str, now: datetime) -> float | None:
    """Count one request; ``None`` when allowed, else seconds until the window ends."""
    start = limit.window_start(now)
    row_key = f"{limit.name}:{key}"[:160]
    for _attempt in range(3):
        try:
            with transaction(factory) as session:
                row = session.get(RateCount, (row_key, start), with_for_update=True)
                if row is None:
                    if start.minute == 0 and start.second == 0:  # about hourly: tidy up
                        session.execute(delete(RateCount).where(RateCount.window_start
                                                                < now - KEEP))
                    session.add(RateCount(key=row_key, window_start=start, count=1))
                    return None
                if row.count >= limit.limit:
                    return max(1.0, (start + limit.window - now).total_seconds())
                row.count += 1
                return None
        except IntegrityError:
            continue  # another process created this window's row first: count again
    return None


def peek(factory: sessionmaker[Session], limit: Limit, key: str,
         now: datetime) -> float | None:
    """Like :func:`hit` without counting: seconds to wait when ``key`` is over, else None."""
    start = limit.window_start(now)
    with transaction(factory, write=False) as session:
        row = session.get(RateCount, (f"{limit.name}:{key}"[:160], start))
        if row is not None and row.count >= limit.limit:
            return max(1.0, (start + limit.window - now).total_seconds())
    return None


def enforce(factory: sessionmaker[Session], limit: Limit, key: str, now: datetime,
            what: str) -> None:
    """:func:`hit`, raising 429 ``rate_limited`` with ``Retry-After`` when over."""
    wait = hit(factory, limit, key, now)
    if wait is not None:
        raise ApiError(429, "rate_limited", f"too many {what}; retry in {wait:.0f} s",
                       retry_after=wait)
