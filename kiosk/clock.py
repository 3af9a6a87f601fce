"""Time as a parameter.

Everything that waits, times out or stamps a date takes a :class:`Clock`, so tests
drive time with :class:`FakeClock` and never sleep or patch globals.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

#: China Standard Time. Receipts and dates shown to citizens use it.
CST = timezone(timedelta(hours=8), "CST")


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never goes backwards."""
        ...

    def now(self) -> datetime:
        """The current wall-clock time, timezone-aware (UTC)."""
        ...

    def sleep(self, seconds: float) -> None:
        ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock:
    """A clock that only moves when told to. ``sleep`` advances it instantly."""

    def __init__(self, start: datetime | None = None, monotonic: float = 1000.0) -> None:
        self._now = start or datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
        self._mono = monotonic
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._mono += seconds
            self._now += timedelta(seconds=seconds)


class SteppedClock:
    """The system's time, with jumps of the monotonic time a caller makes.

    ``scripts/run --screenshots`` runs the whole kiosk on one of these: dates (容缺
    deadlines, kiosk references, the day's ticket numbers), signed request timestamps and
    retry waits follow the system clock, so every part of a journey agrees on the day;
    :meth:`advance` moves only the monotonic time (idle timers), so the walk can show the
    idle countdown without waiting for it.
    """

    def __init__(self, base: Clock | None = None) -> None:
        self._base = base or SystemClock()
        self._offset = 0.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self._base.monotonic() + self._offset

    def now(self) -> datetime:
        return self._base.now()

    def sleep(self, seconds: float) -> None:
        self._base.sleep(seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += max(0.0, seconds)
