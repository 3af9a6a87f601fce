"""The handwriting service the form editor uses: ink in, candidates out, never a crash."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from kiosk.errors import DeviceError
from kiosk.handwriting.ink import Ink
from kiosk.handwriting.zinnia import Candidate

log = logging.getLogger(__name__)


class Engine(Protocol):
    def classify(self, strokes: list[list[tuple[int, int]]], width: int, height: int,
                 n: int = 10) -> list[Candidate]: ...


class Recognizer:
    """Opens the engine on first use (off the start-up path) and remembers why it can't."""

    def __init__(self, open_engine: Callable[[], Engine]) -> None:
        self._open = open_engine
        self._engine: Engine | None = None
        self.reason = ""

    def available(self) -> tuple[bool, str]:
        return (False, self.reason) if self._load() is None else (True, "")

    def candidates(self, ink: Ink, n: int = 10) -> list[str]:
        """Best first; an empty list when the ink is empty or the engine is unavailable."""
        engine = self._load()
        if engine is None or ink.empty:
            return []
        try:
            found = engine.classify(ink.centred(), ink.width, ink.height, n)
        except DeviceError as exc:
            log.warning("handwriting recognition failed: %s", exc)
            return []
        seen: set[str] = set()
        out = []
        for c in found:
            if c.char and c.char not in seen:
                seen.add(c.char)
                out.append(c.char)
        return out

    def _load(self) -> Engine | None:
        if self._engine is None and not self.reason:
            try:
                self._engine = self._open()
            except DeviceError as exc:
                self.reason = str(exc)
                log.warning("handwriting unavailable: %s", exc)
        return self._engine
