"""What every device has in common.

Vocabulary from the airline self-service standard (CUSS) and banking XFS, because
it is what kiosk technicians already know: a device is READY, BUSY or UNAVAILABLE
(with a reason), and devices with media (paper, a card in the field) report a
media status.

A device kind's ``base.py`` subclasses :class:`Device` (or :class:`PollingDevice`,
for devices that watch their hardware from a thread of their own) and owns the
behaviour; its drivers supply one or two primitives (python-escpos style).
Status changes are delivered to listeners (pyscard observer style) from whatever
thread noticed them; the UI moves them onto its own clock in ``screens/bridge.py``.

Every kind has the same parts: ``base`` (behaviour), ``drivers`` (primitives
over one transport each), ``simulator`` (the same protocol, simulated),
``diagnose`` (a technician's check over explicit settings) and ``errors``.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

from kiosk.clock import Clock
from kiosk.errors import KioskError

E = TypeVar("E")
REASON_CLOSED = "device.reason.not_opened"

#: The checkout; relative paths in device settings (ports, files) are relative to it.
ROOT = Path(__file__).resolve().parent.parent


def resolve_path(path: str) -> Path:
    """``path`` as given when absolute, else relative to the checkout."""
    p = Path(path)
    return p if p.is_absolute() else ROOT / p


class DeviceState(enum.Enum):
    READY = "ready"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"


class MediaStatus(enum.Enum):
    PRESENT = "present"
    ABSENT = "absent"
    LOW = "low"
    EMPTY = "empty"
    JAMMED = "jammed"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "n/a"


class Presence(enum.Enum):
    """What a site profile says about a device kind."""

    REQUIRED = "required"
    OPTIONAL = "optional"
    ABSENT = "absent"


@dataclass(frozen=True)
class DeviceStatus:
    """A snapshot of a device's health.

    ``reason`` is an i18n key (``device.reason.*``) shown on 暂停服务 tiles and the
    diagnostics screen; ``detail`` is technician text without personal data.
    """

    state: DeviceState
    media: MediaStatus = MediaStatus.NOT_APPLICABLE
    reason: str | None = None
    detail: str = ""

    @property
    def ready(self) -> bool:
        return self.state is DeviceState.READY

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "media": self.media.value,
            "reason": self.reason,
            "detail": self.detail,
        }


StatusListener = Callable[["Device", DeviceStatus], None]


@dataclass
class DeviceCounters:
    """Counters shown in technician mode."""

    operations: int = 0
    failures: int = 0
    last_error: str = ""
    extra: dict[str, int] = field(default_factory=dict)


class Device:
    """Base of every device: status, listeners, enable/disable, counters.

    Devices are *enabled* only while a citizen session is active (privacy):
    a disabled camera captures nothing and a disabled reader reads nothing.
    """

    kind: str = "device"

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.RLock()
        self._status = DeviceStatus(DeviceState.UNAVAILABLE, reason=REASON_CLOSED)
        self._listeners: list[StatusListener] = []
        self._enabled = False
        self.counters = DeviceCounters()

    # -- status -----------------------------------------------------------
    @property
    def status(self) -> DeviceStatus:
        with self._lock:
            return self._status

    def add_listener(self, listener: StatusListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: StatusListener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _set_status(self, status: DeviceStatus) -> None:
        """Record a new status and notify listeners when it changed."""
        with self._lock:
            if status == self._status:
                return
            self._status = status
            listeners = list(self._listeners)
        for listener in listeners:
            listener(self, status)

    def _update_status(self, **changes: Any) -> None:
        with self._lock:
            new = replace(self._status, **changes)
        self._set_status(new)

    def _record_failure(self, error: BaseException) -> None:
        with self._lock:
            self.counters.failures += 1
            self.counters.last_error = f"{type(error).__name__}: {error}"

    def _record_operation(self) -> None:
        with self._lock:
            self.counters.operations += 1

    # -- lifecycle ----------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self._enabled

    def enable(self) -> None:
        """Called when a citizen session starts."""
        self._enabled = True

    def disable(self) -> None:
        """Called when a citizen session ends; must stop any capture or polling of media."""
        self._enabled = False

    def open(self) -> None:
        """Acquire the transport. Failures set UNAVAILABLE with a reason; never raise."""

    def close(self) -> None:
        """Release the transport and stop threads. Idempotent."""

    def diagnostics(self) -> dict[str, Any]:
        """A JSON-able dump for technicians, with personal data removed."""
        with self._lock:
            return {
                "kind": self.kind,
                "name": self.name,
                "enabled": self._enabled,
                "status": self._status.as_dict(),
                "counters": {
                    "operations": self.counters.operations,
                    "failures": self.counters.failures,
                    "last_error": self.counters.last_error,
                    **self.counters.extra,
                },
            }


class Listeners(Generic[E]):
    """Callbacks for one kind of event: added and removed under a lock, called outside it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Callable[[E], None]] = []

    def add(self, listener: Callable[[E], None]) -> None:
        with self._lock:
            self._items.append(listener)

    def remove(self, listener: Callable[[E], None]) -> None:
        with self._lock:
            if listener in self._items:
                self._items.remove(listener)

    def emit(self, event: E) -> None:
        with self._lock:
            items = list(self._items)
        for listener in items:
            listener(event)


class PollingDevice(Device):
    """A device that watches its hardware from a thread of its own.

    The one lifecycle every such kind shares: ``open()`` starts the thread (once;
    opening the transport is the poll's job, so ``open()`` never raises),
    ``close()`` stops it at once (the pause waits on an Event), joins it, lets the
    kind release its transport (:meth:`_closed`) and reports UNAVAILABLE
    ``device.reason.not_opened``. The thread only calls :meth:`poll_once` in a loop
    paced by ``poll_interval_s``; tests call ``poll_once()`` directly with a fake
    clock. A failure makes the device UNAVAILABLE with a reason
    (:meth:`_set_unavailable`); the transport is tried again every
    ``reopen_interval_s`` (:meth:`_reopen_due`) until it answers.
    """

    join_timeout_s = 10.0

    def __init__(self, name: str, *, clock: Clock, poll_interval_s: float,
                 reopen_interval_s: float = 0.0) -> None:
        super().__init__(name)
        self._clock = clock
        self._poll_interval_s = poll_interval_s
        self._reopen_interval_s = reopen_interval_s
        self._next_reopen = 0.0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()      # for loops that idle between sessions
        self._poll_lock = threading.Lock()  # poll_once from the thread or a test, not both

    # -- what a kind supplies ------------------------------------------------------
    def poll_once(self) -> Any:
        """One step: (re)open when due, look at the hardware, report what changed."""
        raise NotImplementedError

    def _closed(self) -> None:
        """Release the transport and forget any media (called by ``close()``)."""

    # -- the lifecycle -------------------------------------------------------------
    def open(self) -> None:
        """Start the polling thread (which opens the transport). Never raises."""
        with self._lock:
            if self._thread is not None:
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"{self.kind}-{self.name}",
                                            daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=self.join_timeout_s)
        with self._poll_lock:
            self._closed()
            self._set_status(DeviceStatus(DeviceState.UNAVAILABLE, reason=REASON_CLOSED))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
            self._stop.wait(self._poll_interval_s)

    # -- errors and recovery -----------------------------------------------------------
    def _reopen_due(self, now: float | None = None) -> bool:
        return (self._clock.monotonic() if now is None else now) >= self._next_reopen

    def _schedule_reopen(self, now: float | None = None) -> None:
        self._next_reopen = (self._clock.monotonic() if now is None else now) \
            + self._reopen_interval_s

    def _set_unavailable(self, reason: str, error: KioskError | None = None, *,
                         detail: str | None = None,
                         media: MediaStatus = MediaStatus.UNKNOWN) -> None:
        """UNAVAILABLE with ``reason`` (an i18n key); the error is counted and its text kept."""
        if error is not None:
            self._record_failure(error)
        text = detail if detail is not None else ("" if error is None else str(error))
        self._set_status(DeviceStatus(DeviceState.UNAVAILABLE, media=media, reason=reason,
                                      detail=text))
