"""The terminal's heartbeat to the back office (backoffice/API.md ``POST /terminals/heartbeat``).

Every ``backoffice.heartbeat_interval_s`` a worker thread sends each device's
state, media status and reason (i18n key) plus the outbox's pending and
refused counts, and on an installed terminal the release it runs and the last
upgrade that was rolled back (``release``: kiosk/service/datastate.py
``update_report``, written by scripts/install). Nothing personal: no device
``detail`` text, no case data.
A failed beat is counted and logged once per outage, never raised: the kiosk
serves citizens whether or not the back office hears it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from devices.base import Device
from kiosk.clock import Clock
from kiosk.errors import KioskError

log = logging.getLogger(__name__)


class HeartbeatClient(Protocol):
    """``kiosk.submission.client.BackofficeClient.heartbeat``."""

    def heartbeat(self, devices: Mapping[str, Mapping[str, str | None]],
                  outbox: Mapping[str, int] | None = None,
                  release: Mapping[str, Any] | None = None) -> datetime: ...


class FleetBeat(Protocol):
    """``kiosk.fleet.control.FleetControl``: what the beat reports and who takes the reply."""

    def report(self) -> dict[str, Any]: ...
    def on_reply(self, reply: Any) -> None: ...


class FleetClient(Protocol):
    """``BackofficeClient.beat``: the heartbeat whose reply carries fleet control."""

    def beat(self, devices: Mapping[str, Mapping[str, str | None]],
             outbox: Mapping[str, int] | None = None, *, site_id: str | None = None,
             fleet: Mapping[str, Any] | None = None,
             release: Mapping[str, Any] | None = None) -> Any: ...


class StatsLike(Protocol):
    @property
    def pending(self) -> int: ...
    @property
    def refused(self) -> int: ...


class OutboxLike(Protocol):
    def stats(self) -> StatsLike: ...


@dataclass
class HeartbeatCounters:
    sent: int = 0
    failed: int = 0
    consecutive_failures: int = 0
    last_error: str = ""
    last_sent_at: datetime | None = None
    #: server time minus kiosk time at the last answer, seconds.
    last_skew_s: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "failed": self.failed,
                "consecutive_failures": self.consecutive_failures,
                "last_error": self.last_error,
                "last_sent_at": self.last_sent_at.isoformat() if self.last_sent_at else None,
                "last_skew_s": self.last_skew_s}


def device_health(devices: Mapping[str, Device]) -> dict[str, dict[str, str | None]]:
    """Per device kind: state, media and reason only (``detail`` may name a port or a file)."""
    out: dict[str, dict[str, str | None]] = {}
    for kind, device in devices.items():
        status = device.status
        out[kind] = {"state": status.state.value, "media": status.media.value,
                     "reason": status.reason}
    return out


class Heartbeat:
    def __init__(self, client: HeartbeatClient, devices: Mapping[str, Device], *,
                 clock: Clock, interval_s: float = 60.0, outbox: OutboxLike | None = None,
                 poll_s: float = 1.0,
                 release: Callable[[], Mapping[str, Any] | None] | None = None,
                 fleet: FleetBeat | None = None, site_id: str | None = None) -> None:
        """``release``: the running release and the last failed update, read at each
        beat (None: not an installed terminal, the field is left out). ``fleet``: reports
        what the kiosk runs on and takes each reply (the announced catalog and settings,
        the commands); ``client`` then needs ``beat``."""
        self._client = client
        self.fleet = fleet
        self._site_id = site_id
        self._devices = devices
        self._clock = clock
        self.interval_s = interval_s
        self._outbox = outbox
        self._release = release
        self._poll_s = poll_s
        self.counters = HeartbeatCounters()
        self._stop = threading.Event()
        self._beat = threading.Condition()
        self._thread: threading.Thread | None = None

    def payload(self) -> tuple[dict[str, dict[str, str | None]], dict[str, int] | None]:
        outbox = None
        if self._outbox is not None:
            stats = self._outbox.stats()
            outbox = {"pending": stats.pending, "refused": stats.refused}
        return device_health(self._devices), outbox

    def beat_once(self) -> bool:
        """Send one heartbeat; True when the back office answered."""
        try:
            devices, outbox = self.payload()
            release = self._release() if self._release is not None else None
            reply = None
            if self.fleet is not None:
                beat = cast(FleetClient, self._client)
                reply = beat.beat(devices, outbox, site_id=self._site_id,
                                  fleet=self.fleet.report(), release=release)
                server_time = reply.server_time
            elif release is not None:
                server_time = self._client.heartbeat(devices, outbox, release)
            else:
                server_time = self._client.heartbeat(devices, outbox)
        except KioskError as exc:
            c = self.counters
            c.failed += 1
            c.consecutive_failures += 1
            c.last_error = f"{type(exc).__name__}: {exc}"
            if c.consecutive_failures == 1:
                log.warning("heartbeat failed: %s", c.last_error)
            ok = False
        else:
            now = self._clock.now()
            c = self.counters
            if c.consecutive_failures:
                log.info("heartbeat back after %d failure(s)", c.consecutive_failures)
            c.sent += 1
            c.consecutive_failures = 0
            c.last_sent_at = now
            c.last_skew_s = (server_time - now).total_seconds()
            ok = True
            if reply is not None and self.fleet is not None:
                self.fleet.on_reply(reply)
        with self._beat:
            self._beat.notify_all()
        return ok

    # ------------------------------------------------------------------ thread
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            # The schedule counts from the start of a beat, so a slow back office does
            # not stretch the interval (and a test's clock step is never missed).
            due = self._clock.monotonic() + self.interval_s
            self.beat_once()
            # Poll the injected clock so a FakeClock drives the schedule in tests;
            # the stop event makes stop() prompt either way.
            while not self._stop.is_set() and self._clock.monotonic() < due:
                self._stop.wait(min(self._poll_s, max(0.0, due - self._clock.monotonic())))

    def wait_for_beats(self, count: int, timeout_s: float) -> bool:
        """Block until ``sent + failed >= count`` (for tests and the technician screen)."""
        with self._beat:
            return self._beat.wait_for(
                lambda: self.counters.sent + self.counters.failed >= count, timeout_s)
