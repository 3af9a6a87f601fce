"""What every card reader reports: a card was read, failed to read, or left.

The ID card reader and the social security card reader report the same three
events, so the journey treats both alike; each kind's ``base.py`` adds what only
it reports (the 社保卡 reader: :class:`~devices.sscard.base.ReadersChanged`).
Listeners are called from the reader's polling thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from devices.base import E, Listeners, PollingDevice
from devices.identity import Identity
from kiosk.clock import Clock
from kiosk.errors import KioskError, NoCard

T = TypeVar("T")


@dataclass(frozen=True)
class CardInserted:
    identity: Identity
    expired: bool                 # against the injected clock, in China time
    photo_reason: str | None      # None: photo decoded; else the i18n key why not
    read_s: float                 # find-to-identity time, for diagnostics

    def __repr__(self) -> str:  # never print personal data
        return f"CardInserted({self.identity.card_type.value}, expired={self.expired})"


@dataclass(frozen=True)
class CardRemoved:
    pass


@dataclass(frozen=True)
class CardFailed:
    error: KioskError             # its i18n_key is what the citizen is told
    attempt: int
    final: bool                   # no more automatic attempts for this placement


CardEvent = CardInserted | CardRemoved | CardFailed
CardListener = Callable[[CardEvent], None]


class CardReader(PollingDevice, Generic[E]):
    """A polling device that reports card events of type ``E`` to its card listeners."""

    def __init__(self, name: str, *, clock: Clock, poll_interval_s: float,
                 reopen_interval_s: float = 0.0) -> None:
        super().__init__(name, clock=clock, poll_interval_s=poll_interval_s,
                         reopen_interval_s=reopen_interval_s)
        self._card_listeners: Listeners[E] = Listeners()

    def add_card_listener(self, listener: Callable[[E], None]) -> None:
        self._card_listeners.add(listener)

    def remove_card_listener(self, listener: Callable[[E], None]) -> None:
        self._card_listeners.remove(listener)

    def _emit(self, event: E) -> None:
        self._card_listeners.emit(event)


# -- for the technicians' step-by-step checks (``diagnose.py``), on the real clock ----------
def timed(report: dict[str, Any], step: str, fn: Callable[[], T]) -> T:
    """``fn()``, its duration recorded in ``report["timings_ms"][step]``."""
    t0 = time.perf_counter()
    try:
        return fn()
    finally:
        report["timings_ms"][step] = round((time.perf_counter() - t0) * 1000, 1)


def until_card(attempt: Callable[[], T], wait_s: float, pause_s: float = 0.2) -> T | None:
    """``attempt()`` until it stops raising NoCard; None when ``wait_s`` passed first."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return attempt()
        except NoCard:
            if time.monotonic() >= deadline:
                return None
            time.sleep(pause_s)
