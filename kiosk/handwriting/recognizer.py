"""The handwriting service the form editor uses: ink in, candidates out, never a crash."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from kiosk.errors import DeviceError
from kiosk.handwriting.ink import Ink
from kiosk.handwriting.zinnia import Candidate

log = logging.getLogger(__name__)


class Engine(Protocol):
    def classify(self, strokes: list[list[tuple[int, int]]], width: int, height: int,
                 n: int = 10) -> list[Candidate]: ...


class _OnFirstUse:
    """An engine opened when first asked for, once: a failure is logged and its reason
    kept, and not tried again."""

    def __init__(self, open_engine: Callable[[], Engine] | None, what: str) -> None:
        self._open = open_engine
        self._what = what
        self._engine: Engine | None = None
        self.reason = ""

    def get(self) -> Engine | None:
        if self._engine is None and self._open is not None and not self.reason:
            try:
                self._engine = self._open()
            except DeviceError as exc:
                self.reason = str(exc)
                log.warning("%s unavailable: %s", self._what, exc)
        return self._engine


class Recognizer:
    """Opens the engine on first use (off the start-up path) and remembers why it can't.

    ``open_supplement``: an engine for characters the main one does not know (rare name
    characters, :mod:`kiosk.handwriting.rare`); what it is sure of goes first when the
    main engine is less sure of its own best. Without it, handwriting goes on."""

    def __init__(self, open_engine: Callable[[], Engine],
                 open_supplement: Callable[[], Engine] | None = None) -> None:
        self._main = _OnFirstUse(open_engine, "handwriting")
        self._rare = _OnFirstUse(open_supplement, "rare-character handwriting")
        self._lock = threading.Lock()  # the UI and the warm-up thread may open at once

    @property
    def reason(self) -> str:
        """Why the engine could not be opened ("" while it could or was not tried)."""
        return self._main.reason

    @property
    def supplement_reason(self) -> str:
        return self._rare.reason

    def warm(self) -> None:
        """Open both engines now (the kiosk's warm-up thread, after Home is drawn): the
        first stroke a citizen writes then waits for nothing."""
        self._load()
        self._load_supplement()

    def available(self) -> tuple[bool, str]:
        return (False, self.reason) if self._load() is None else (True, "")

    def candidates(self, ink: Ink, n: int = 10) -> list[str]:
        """Best first; an empty list when the ink is empty or the engine is unavailable."""
        engine = self._load()
        if engine is None or ink.empty:
            return []
        strokes = ink.centred()
        try:
            found = engine.classify(strokes, ink.width, ink.height, n)
        except DeviceError as exc:
            log.warning("handwriting recognition failed: %s", exc)
            return []
        supplement = self._load_supplement()
        if supplement is not None:
            try:
                rare = supplement.classify(strokes, ink.width, ink.height, n)
            except DeviceError as exc:
                log.warning("rare-character recognition failed: %s", exc)
                rare = []
            for c in sorted(rare, key=lambda c: c.score):  # the surest ends up first
                first = not found or c.score > found[0].score
                found.insert(0 if first else 1, c)
        seen: set[str] = set()
        out = []
        for c in found:
            if c.char and c.char not in seen:
                seen.add(c.char)
                out.append(c.char)
        return out

    def _load_supplement(self) -> Engine | None:
        with self._lock:
            return self._rare.get()

    def _load(self) -> Engine | None:
        with self._lock:
            return self._main.get()
