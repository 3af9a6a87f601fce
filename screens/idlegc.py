"""Python's cyclic garbage collector, run when nobody waits for the screen.

The UI process holds about half a million Python objects (the kv rules, the fonts'
and the catalog's data, every widget of the screens built so far). A full collection
walks all of them: 150-300 ms on a terminal's CPU, and whichever tap happens to
trigger one shows its result a third of a second late.

So the shell keeps the full collections out of the taps:

* what is alive once a session is over (the long-lived part of the process) is
  *frozen*: moved out of the generations the collector walks, so the collections
  Python triggers by itself during the next citizen's session stay short;
* the full collection (with a thaw first, so that frozen objects that became garbage
  are freed too) runs once a session has ended and the screen has been left alone
  for ``quiet_s`` seconds: while the done screen holds its QR code, or at Home;
  should citizens follow each other without such a moment ``max_pending`` times,
  it runs at the first shorter pause (``quiet_s / 5`` untouched: never in the frame
  that answers a touch), and after ``4 * max_pending`` at the next tick anyway (one
  slow frame rather than growing memory);
* Python's own full collections are put off from the start (the oldest
  generation's threshold raised), so a session's garbage waits for that moment.

Nothing is disabled: Python still collects the young generations whenever it would,
which frees most short-lived garbage at once.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

log = logging.getLogger(__name__)


class IdleCollector:
    """``due()`` after a session ends; ``tick(idle_s)`` from the UI loop runs the full
    collection once the screen has been untouched for ``quiet_s``."""

    #: Python's third threshold while installed: full collections after this many
    #: young-generation collections (10 by default), i.e. not within a session.
    FULL_AFTER = 100_000

    def __init__(self, quiet_s: float = 0.5, max_pending: int = 3,
                 collector: Any = gc) -> None:
        self.quiet_s = quiet_s
        self.max_pending = max_pending
        self._gc = collector
        self._pending = 0  # sessions ended since the last full collection
        self._saved: tuple[int, int, int] | None = None  # Python's thresholds, to restore
        #: full collections run, and the last one's duration (diagnostics, tests)
        self.runs = 0
        self.last_s = 0.0

    def install(self) -> None:
        """Put Python's own full collections off (the shell, when it starts)."""
        if self._saved is None:
            self._saved = self._gc.get_threshold()
            young, middle, _old = self._saved
            self._gc.set_threshold(young, middle, self.FULL_AFTER)

    def due(self) -> None:
        """A session ended (or start-up is over): collect at the next quiet moment."""
        self._pending += 1

    def tick(self, idle_s: float) -> bool:
        """Called from the UI loop with the seconds since the last touch; True when it
        collected now."""
        if not self._pending:
            return False
        overdue = self._pending > self.max_pending
        if not (idle_s >= self.quiet_s or (overdue and idle_s >= self.quiet_s / 5)
                or self._pending > 4 * self.max_pending):
            return False
        self._pending = 0
        start = time.perf_counter()
        self.install()
        self._gc.unfreeze()
        freed = self._gc.collect()
        self._gc.freeze()
        self.last_s = time.perf_counter() - start
        self.runs += 1
        log.debug("between citizens: %d objects freed in %.0f ms", freed, self.last_s * 1000)
        return True

    def release(self) -> None:
        """Python's own collection policy back (the shell is closed)."""
        if self._saved is not None:
            self._gc.set_threshold(*self._saved)
            self._saved = None
            self._gc.unfreeze()
