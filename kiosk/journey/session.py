"""Ties a journey to the citizen session (README.md "Privacy").

* The journey reaches a final state (done, cancelled, timed out, card taken
  away): its data is wiped at once and the session is ended with the matching
  reason, which disables the devices (camera stopped, readers off) and wipes
  the session's own data.
* The session ends first (idle timeout, the operator's reset): the journey is
  told ``timeout`` when its state allows it, and wiped either way.

Either way the binding detaches itself, so an old journey can never be reached
through the session again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from kiosk.journey.machine import Change
from kiosk.session import EndReason, SessionEvent

log = logging.getLogger(__name__)


class JourneyLike(Protocol):
    @property
    def ended(self) -> bool: ...
    @property
    def end_reason(self) -> str | None: ...
    def can(self, trigger: str, **data: Any) -> bool: ...
    def fire(self, trigger: str, **data: Any) -> Change: ...
    def wipe(self) -> None: ...
    def add_listener(self, listener: Callable[[Change], None]) -> None: ...
    def remove_listener(self, listener: Callable[[Change], None]) -> None: ...


class SessionLike(Protocol):
    @property
    def active(self) -> bool: ...
    def end(self, reason: EndReason) -> None: ...
    def add_listener(self, listener: Callable[[Any, SessionEvent], None]) -> None: ...
    def remove_listener(self, listener: Callable[[Any, SessionEvent], None]) -> None: ...


class JourneyBinding:
    def __init__(self, journey: JourneyLike, session: SessionLike) -> None:
        self.journey = journey
        self.session = session
        self.bound = True
        journey.add_listener(self._on_change)
        session.add_listener(self._on_session)

    def _on_change(self, change: Change) -> None:
        if not self.journey.ended:
            return
        reason = EndReason(self.journey.end_reason or "cancel")
        self._finish()
        if self.session.active:
            self.session.end(reason)

    def _on_session(self, session: Any, event: SessionEvent) -> None:
        if event is not SessionEvent.ENDED or not self.bound:
            return
        if not self.journey.ended and self.journey.can("timeout"):
            self.journey.fire("timeout")
        self._finish()

    def _finish(self) -> None:
        if not self.bound:
            return
        self.bound = False
        self.journey.remove_listener(self._on_change)
        self.session.remove_listener(self._on_session)
        self.journey.wipe()

    def detach(self) -> None:
        """Drop the binding without ending anything (e.g. the journey is replaced)."""
        self._finish()
