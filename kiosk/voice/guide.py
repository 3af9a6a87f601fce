"""The voice guide: speaks the current instruction on step entry, on request again.

It never blocks its caller (the UI thread): :meth:`VoiceGuide.say` records the
newest request and wakes one worker thread, which synthesizes (or takes from the
cache) and starts the player. A request that arrives while an older one waits
replaces it, so a citizen tapping quickly hears where they are, not where they were.
Failures are logged once and turn the guide UNAVAILABLE with the reason; they never
reach the citizen's screen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from kiosk.errors import DeviceError
from kiosk.voice.player import Player
from kiosk.voice.prompts import prompt_for

log = logging.getLogger(__name__)

#: (lang, key) -> the text shown on screen for that key.
TextOf = Callable[[str, str], str]


class Synth(Protocol):
    def synthesize(self, text: str, lang: str, rate: float = 1.0) -> Path: ...
    def available(self) -> tuple[bool, str]: ...


@dataclass(frozen=True)
class VoiceSettings:
    """A site's choice (a bank branch may want quiet), overridden per session."""

    enabled: bool = True
    volume: float = 0.8
    rate: float = 1.0
    #: 长辈版 turns voice on (and slows it) even where the site has it off.
    elderly_enabled: bool = True
    elderly_rate: float = 0.85


@dataclass(frozen=True)
class _Request:
    key: str
    lang: str
    text: str


class VoiceGuide:
    def __init__(self, synth: Synth, player: Player, text_of: TextOf,
                 settings: VoiceSettings | None = None, *, threaded: bool = True) -> None:
        self._synth, self._player, self._text_of = synth, player, text_of
        self._site = settings or VoiceSettings()
        self._session: VoiceSettings | None = None
        self._lock = threading.Condition()
        self._pending: _Request | None = None
        self._last: _Request | None = None
        self._closed = False
        self._reason = ""
        self.spoken = 0
        self._thread: threading.Thread | None = None
        if threaded:
            self._thread = threading.Thread(target=self._work, name="voice", daemon=True)
            self._thread.start()

    # -- settings ------------------------------------------------------------
    @property
    def settings(self) -> VoiceSettings:
        return self._session or self._site

    def start_session(self, *, elderly: bool = False) -> None:
        s = self._site
        if elderly and s.elderly_enabled:
            s = replace(s, enabled=True, rate=min(s.rate, s.elderly_rate))
        self._session = s
        self._last = None

    def set_session(self, **changes: Any) -> None:
        """Per-session choices (on/off, volume, rate) from the citizen's controls."""
        self._session = replace(self.settings, **changes)

    def end_session(self) -> None:
        self._session = None
        self._last = None
        with self._lock:
            self._pending = None
        self._player.stop()

    # -- speaking ------------------------------------------------------------
    def on_view(self, view: Mapping[str, Any], lang: str) -> bool:
        """Speak the view's prompt if it is new (step entry); True when queued."""
        key = prompt_for(view)
        if key is None or (self._last is not None and self._last.key == key
                           and self._last.lang == lang):
            return False
        return self.say(key, lang)

    def say(self, key: str, lang: str) -> bool:
        if not self.settings.enabled or self._closed:
            return False
        request = _Request(key, lang, self._text_of(lang, key))
        self._last = request
        with self._lock:
            self._pending = request
            self._lock.notify()
        if self._thread is None:
            self.run_pending()
        return True

    def replay(self) -> bool:
        """重听: the last prompt again, even if the same step is still showing."""
        last = self._last
        return False if last is None else self.say(last.key, last.lang)

    def status(self) -> tuple[bool, str]:
        """(True, "") when prompts can be heard, else (False, the reason)."""
        for ok, reason in (self._synth.available(), self._player.available()):
            if not ok:
                return False, reason
        return (False, self._reason) if self._reason else (True, "")

    # -- worker --------------------------------------------------------------
    def run_pending(self) -> None:
        with self._lock:
            request, self._pending = self._pending, None
        if request is not None:
            self._speak(request)

    def _speak(self, request: _Request) -> None:
        s = self.settings
        try:
            path = self._synth.synthesize(request.text, request.lang, s.rate)
            if self._player.available()[0]:
                self._player.play(path, s.volume)
            self.spoken += 1
            self._reason = ""
        except DeviceError as exc:
            if str(exc) != self._reason:
                log.warning("voice prompt %s not spoken: %s", request.key, exc)
            self._reason = str(exc)

    def _work(self) -> None:
        while True:
            with self._lock:
                while self._pending is None and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
            self.run_pending()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._player.stop()
