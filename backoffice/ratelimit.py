"""A per-key sliding-window limit (in memory, per server process).

Used for applicant listings: a terminal asks for one citizen's cases after a
verification, a handful of times an hour at most. A stolen terminal secret
must not become a way to enumerate ID numbers, so a burst beyond that is
refused with 429 (the kiosk treats it as transient and retries later).
With several server processes the effective limit is the sum of theirs.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta


class SlidingWindow:
    def __init__(self, limit: int, window: timedelta) -> None:
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._hits: dict[str, deque[datetime]] = {}

    def allow(self, key: str, now: datetime) -> float | None:
        """Record a hit; ``None`` when allowed, else seconds until the next one is."""
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1.0, (hits[0] + self.window - now).total_seconds())
            hits.append(now)
            return None
