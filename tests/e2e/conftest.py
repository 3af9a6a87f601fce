"""End to end through real processes: one simulated terminal per module (``env`` and
``devices`` of tests/conftest.py); each test leaves it as it found it (no card,
printer OK, back office up). Nothing here draws on a screen: the UI's own e2e tests
live in tests/screens."""

from __future__ import annotations

import threading
from collections.abc import Callable

WAIT_S = 30.0


def wait_until(condition: Callable[[], bool], timeout_s: float = WAIT_S) -> bool:
    """Poll a condition on other processes' work, bounded."""
    stop = threading.Event()
    timer = threading.Timer(timeout_s, stop.set)
    timer.start()
    try:
        while not stop.is_set():
            if condition():
                return True
            stop.wait(0.05)
        return condition()
    finally:
        timer.cancel()
