"""What every device has in common.

Vocabulary from the airline self-service standard (CUSS) and banking XFS, because
it is what kiosk technicians already know: a device is READY, BUSY or UNAVAILABLE
(with a reason), and devices with media (paper, a card in the field) report a
media status.

A device kind's ``base.py`` subclasses :class:`Device` and owns the behaviour;
its drivers supply one or two primitives (python-escpos style). Status changes
are delivered to listeners (pyscard observer style) from whatever thread
noticed them; the UI moves them onto its own clock in ``screens/bridge.py``.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

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
        self._status = DeviceStatus(DeviceState.UNAVAILABLE, reason="device.reason.not_opened")
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
