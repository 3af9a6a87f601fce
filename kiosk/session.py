"""One citizen session at a time, its idle timeout and its data.

A session starts at the first touch and ends on done, cancel or idle timeout.
Before an idle timeout the citizen is warned with a countdown and an "extend"
button at least ``warning_s`` seconds before the end (WCAG 2.2.1 Timing
Adjustable asks for at least 20 s; the site profile enforces ≥ 20).

Everything personal the citizen hands over (card data and photo, the face
verification result, camera frames, scans, form values) lives only in the
session's :class:`SessionData` and is wiped when the session ends: byte buffers
are overwritten in place, then every reference is dropped. Devices are enabled
only while a session is active (privacy: a disabled camera captures nothing).

Pure logic: time comes from an injected :class:`~kiosk.clock.Clock`; the UI
calls :meth:`SessionManager.tick` from its own clock (tests use FakeClock).
Listeners are called on the thread that called ``touch``/``tick``/``end``
(the UI thread), so screens may update directly.
"""

from __future__ import annotations

import enum
import itertools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from devices.base import Device
from kiosk.clock import Clock
from kiosk.config.model import IdleConfig
from kiosk.identity import Identity

log = logging.getLogger(__name__)


class SessionState(enum.Enum):
    IDLE = "idle"          # nobody at the kiosk: attract screen, devices disabled
    ACTIVE = "active"      # a citizen is using the kiosk
    WARNING = "warning"    # idle countdown shown with "extend"


class EndReason(enum.Enum):
    DONE = "done"
    CANCEL = "cancel"
    TIMEOUT = "timeout"


class SessionEvent(enum.Enum):
    STARTED = "started"
    WARNING = "warning"        # countdown began; ``remaining()`` says how long
    EXTENDED = "extended"      # the citizen pressed "extend" (or touched the screen)
    ENDED = "ended"            # data wiped, devices disabled; see ``last_end_reason``


def _zero(buffer: bytearray) -> None:
    buffer[:] = bytes(len(buffer))


@dataclass
class SessionData:
    """What one citizen handed over, held in memory only.

    Mutable buffers (frames, scans) are ``bytearray`` so :meth:`wipe` can overwrite
    them; immutable values (the frozen :class:`Identity`, strings) can only be
    dropped, which is what ``wipe`` does after overwriting what it can.
    """

    item_code: str | None = None
    identity: Identity | None = None
    verification: dict[str, Any] = field(default_factory=dict)
    frames: list[bytearray] = field(default_factory=list)
    scans: dict[str, list[bytearray]] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)  # journey state (non-personal)

    def add_frame(self, frame: bytes | bytearray) -> None:
        self.frames.append(bytearray(frame))

    def add_scan(self, material_code: str, page: bytes | bytearray) -> None:
        self.scans.setdefault(material_code, []).append(bytearray(page))

    def wipe(self) -> None:
        """Overwrite every byte buffer in place, then drop every reference."""
        for frame in self.frames:
            _zero(frame)
        for pages in self.scans.values():
            for page in pages:
                _zero(page)
        self.frames.clear()
        self.scans.clear()
        self.form.clear()
        self.verification.clear()
        self.notes.clear()
        self.identity = None
        self.item_code = None

    @property
    def empty(self) -> bool:
        return (self.item_code is None and self.identity is None and not self.verification
                and not self.frames and not self.scans and not self.form and not self.notes)


SessionListener = Callable[["SessionManager", SessionEvent], None]


class SessionManager:
    """Starts, times and ends the citizen session; owns its :class:`SessionData`."""

    def __init__(self, clock: Clock, idle: IdleConfig,
                 devices: Sequence[Device] | Mapping[str, Device] = ()) -> None:
        self._clock = clock
        self.timeout_s = float(idle.timeout_s)
        self.warning_s = float(idle.warning_s)
        #: the terminal's devices; a mapping is read each time (a device built after
        #: Home, see kiosk/wiring/devices.py, is in it by then)
        self.devices = devices
        self.state = SessionState.IDLE
        self.data = SessionData()
        self.last_end_reason: EndReason | None = None
        self._last_activity = clock.monotonic()
        self._listeners: list[SessionListener] = []
        self._ids = itertools.count(1)
        self.session_no = 0  # counts sessions since start; no personal meaning

    # -- listeners ------------------------------------------------------------
    def add_listener(self, listener: SessionListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: SessionListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: SessionEvent) -> None:
        for listener in list(self._listeners):
            listener(self, event)

    # -- queries ----------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.state is not SessionState.IDLE

    def remaining(self) -> float:
        """Seconds until the idle timeout ends the session (0 when idle)."""
        if not self.active:
            return 0.0
        return max(0.0, self.timeout_s - (self._clock.monotonic() - self._last_activity))

    # -- triggers -----------------------------------------------------------------
    def touch(self) -> None:
        """Any citizen input: starts a session when idle, else resets the idle timer."""
        self._last_activity = self._clock.monotonic()
        if self.state is SessionState.IDLE:
            self._start()
        elif self.state is SessionState.WARNING:
            self.state = SessionState.ACTIVE
            self._emit(SessionEvent.EXTENDED)

    def extend(self) -> None:
        """The "继续办理 / extend" button of the countdown banner."""
        if self.active:
            self.touch()

    def tick(self) -> None:
        """Advance timers; called about once a second by the UI clock."""
        if not self.active:
            return
        left = self.remaining()
        if left <= 0:
            self.end(EndReason.TIMEOUT)
        elif left <= self.warning_s and self.state is SessionState.ACTIVE:
            self.state = SessionState.WARNING
            self._emit(SessionEvent.WARNING)

    def end(self, reason: EndReason) -> None:
        """Finish the session: disable devices, wipe data, go idle. Idempotent."""
        if not self.active:
            return
        self.state = SessionState.IDLE
        self.last_end_reason = reason
        self._set_devices(enabled=False)
        self.data.wipe()
        # A fresh object, so nothing that kept a reference to the old one sees new data.
        self.data = SessionData()
        log.info("session %d ended: %s", self.session_no, reason.value)
        self._emit(SessionEvent.ENDED)

    def _start(self) -> None:
        self.state = SessionState.ACTIVE
        self.session_no = next(self._ids)
        self.data = SessionData()
        self._set_devices(enabled=True)
        log.info("session %d started", self.session_no)
        self._emit(SessionEvent.STARTED)

    def _set_devices(self, *, enabled: bool) -> None:
        devices = self.devices.values() if isinstance(self.devices, Mapping) else self.devices
        for device in devices:
            if enabled:
                device.enable()
            else:
                device.disable()
