"""The QR/barcode scanner interface: a reading thread, scan events, recovery.

Drivers supply three primitives (``_open_transport``, ``_close_transport``,
``_read_items``); this class owns what every scanner does:

* **Codes only for a session that wants them.** A code read while the scanner is
  disabled is read and dropped, so a code presented to an idle kiosk never pops
  up later in somebody else's session; while enabled every code is reported once
  as :class:`CodeScanned`, every unusable one (partial, garbled, flood) as
  :class:`ScanRejected` so the screen can say "please scan again".
* **Unplug and recovery.** A transport that fails makes the scanner UNAVAILABLE
  with ``device.reason.codescanner_unplugged`` at once; it is reopened every
  ``reopen_interval_s`` until it works.

Time comes from the injected clock; tests call ``poll_once()`` directly, the
thread of :class:`devices.base.PollingDevice` calls it in a loop.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from devices.base import DeviceState, DeviceStatus, Listeners, PollingDevice
from devices.codescanner.framing import Code, Reject
from kiosk.clock import Clock
from kiosk.errors import DeviceError, DeviceUnavailable

REASON_UNPLUGGED = "device.reason.codescanner_unplugged"


@dataclass(frozen=True)
class CodeScanned:
    code: Code


@dataclass(frozen=True)
class ScanRejected:
    reason: Reject


ScanEvent = CodeScanned | ScanRejected


class CodeScanner(PollingDevice):
    kind = "codescanner"

    def __init__(self, name: str = "codescanner", *, clock: Clock, poll_interval_s: float = 0.05,
                 reopen_interval_s: float = 1.0) -> None:
        super().__init__(name, clock=clock, poll_interval_s=poll_interval_s,
                         reopen_interval_s=reopen_interval_s)
        self._scans: Listeners[ScanEvent] = Listeners()
        self._transport_open = False
        for key in ("codes", "dropped_idle", "partial", "garbled", "too_long", "reopens"):
            self.counters.extra[key] = 0

    # -- what a driver supplies ---------------------------------------------------
    def _open_transport(self) -> None:
        raise NotImplementedError

    def _close_transport(self) -> None:
        raise NotImplementedError

    def _read_items(self, now: float) -> list[Code | Reject]:
        """Whatever arrived since the last call (waiting at most a poll interval)."""
        raise NotImplementedError

    # -- listeners ----------------------------------------------------------------
    def add_scan_listener(self, listener: Any) -> None:
        self._scans.add(listener)

    def remove_scan_listener(self, listener: Any) -> None:
        self._scans.remove(listener)

    # -- the loop -----------------------------------------------------------------
    def poll_once(self) -> list[ScanEvent]:
        with self._poll_lock:
            now = self._clock.monotonic()
            if not self._transport_open:
                if not self._reopen_due(now):
                    return []
                self.counters.extra["reopens"] += 1
                try:
                    self._open_transport()
                except DeviceError as err:
                    self._schedule_reopen(now)
                    self._set_unavailable(REASON_UNPLUGGED, err)
                    return []
                self._transport_open = True
                self._set_status(DeviceStatus(DeviceState.READY))
            try:
                items = self._read_items(now)
            except DeviceError as err:
                self._drop_transport(now, err)
                return []
            events = self._events(items)
        for event in events:
            self._scans.emit(event)
        return events

    def _events(self, items: list[Code | Reject]) -> list[ScanEvent]:
        events: list[ScanEvent] = []
        for item in items:
            if isinstance(item, Reject):
                self.counters.extra[item.value] += 1
                if self._enabled:
                    events.append(ScanRejected(item))
            elif not self._enabled:
                self.counters.extra["dropped_idle"] += 1
            else:
                self.counters.extra["codes"] += 1
                self._record_operation()
                events.append(CodeScanned(item))
        return events

    def _drop_transport(self, now: float, err: DeviceError) -> None:
        self._transport_open = False
        # what is unplugged cannot be closed cleanly; nothing is left to release
        with contextlib.suppress(DeviceError):
            self._close_transport()
        self._schedule_reopen(now)
        self._set_unavailable(REASON_UNPLUGGED, err if isinstance(err, DeviceUnavailable)
                              else DeviceUnavailable(str(err)))

    def _closed(self) -> None:
        if self._transport_open:
            self._transport_open = False
            self._close_transport()

    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        data["transport_open"] = self._transport_open
        return data


def rejected_message(reason: Reject) -> str:
    """The i18n key of what the citizen is told after a rejected scan."""
    return f"codescanner.rejected.{reason.value}"
