"""Bounded waits on work done by other processes or threads, for every test folder.

Tests never sleep to wait: they poll a condition until it holds or the bound runs
out, then say whether it held. ``render_until`` is the same for UI tests, drawing a
frame between two looks so the screen can take what the bridge delivered.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

#: How long a test waits for the simulated terminal's processes by default.
WAIT_S = 30.0


def wait_until(condition: Callable[[], bool], timeout_s: float = WAIT_S) -> bool:
    """Poll ``condition`` every 50 ms until it holds or ``timeout_s`` passed."""
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


def render_until(harness: Any, condition: Callable[[], bool],
                 timeout_s: float = WAIT_S) -> bool:
    """Render frames until ``condition`` holds (work of other processes), bounded."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        harness.render(1)
        if condition():
            return True
    return condition()


class Recorder(Generic[T]):
    """A listener that keeps what it is given (a device's events, from its thread), and
    waits, bounded, until what it kept satisfies a condition."""

    def __init__(self) -> None:
        self.items: list[T] = []
        self._changed = threading.Condition()

    def __call__(self, item: T) -> None:
        with self._changed:
            self.items.append(item)
            self._changed.notify_all()

    def wait_for(self, condition: Callable[[list[T]], bool], timeout_s: float = WAIT_S) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: condition(self.items), timeout_s)
