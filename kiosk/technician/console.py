"""What the technician screens show and do, as plain data and plain calls.

The screens stay thin: every device with its state, media status, last error
and counters; the outbox (pending, refused, retry now); back-office reachability
and clock skew; recent logs (already redacted);
exporting a diagnostic bundle to a folder or a USB stick. Devices are the
running kiosk's own objects, read live (never reopened here); everything shown
passes through :func:`kiosk.privacy.redact`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from devices.base import Device
from kiosk.clock import Clock
from kiosk.config.model import KioskConfig
from kiosk.logging_setup import RingBufferHandler
from kiosk.privacy import redact
from kiosk.submission.outbox_schema import CaseState
from kiosk.technician.bundle import export_bundle, scrub, usb_mounts
from kiosk.technician.diagnose import check_backoffice


class OutboxLike(Protocol):
    def stats(self) -> Any: ...
    def records(self, state: CaseState | None = None, limit: int = 1000) -> list[Any]: ...
    def set_hold(self, until: float | None) -> None: ...


class SenderLike(Protocol):
    def wake(self) -> None: ...


class TechnicianConsole:
    def __init__(self, config: KioskConfig, *, clock: Clock, devices: Mapping[str, Device],
                 outbox: OutboxLike | None = None, sender: SenderLike | None = None,
                 ring: RingBufferHandler | None = None,
                 client_factory: Callable[[], Any] | None = None,
                 fleet: Any = None) -> None:
        """``fleet``: fleet control (kiosk/fleet/control.py): what catalog and settings
        the kiosk runs on, maintenance, commands, problems."""
        self.config = config
        self._clock = clock
        self.devices = devices
        self.outbox = outbox
        self.sender = sender
        self.ring = ring
        self._client_factory = client_factory
        self.fleet = fleet

    def device_rows(self) -> list[dict[str, Any]]:
        rows = []
        for kind, device in self.devices.items():
            status = device.status
            c = device.counters
            rows.append({"kind": kind, "name": device.name, "state": status.state.value,
                         "media": status.media.value, "reason": status.reason,
                         "detail": redact(status.detail), "enabled": device.enabled,
                         "operations": c.operations, "failures": c.failures,
                         "last_error": redact(c.last_error)})
        return rows

    def device_diagnostics(self) -> dict[str, Any]:
        out: dict[str, Any] = scrub({kind: d.diagnostics() for kind, d in self.devices.items()})
        return out

    def outbox_summary(self, refused_limit: int = 50) -> dict[str, Any]:
        if self.outbox is None:
            return {"available": False}
        stats = self.outbox.stats().to_dict()
        refused = [{"kiosk_ref": r.kiosk_ref, "http_status": r.http_status,
                    "reason": redact(r.reason or ""), "attempts": r.attempts}
                   for r in self.outbox.records(CaseState.REFUSED, refused_limit)]
        return {"available": True, **stats, "refused_cases": refused}

    def retry_now(self) -> None:
        """Lift a queue hold and wake the sender (the "retry now" button)."""
        if self.outbox is not None:
            self.outbox.set_hold(None)
        if self.sender is not None:
            self.sender.wake()

    def backoffice(self) -> dict[str, Any]:
        return check_backoffice(self.config, self._clock, self._client_factory)

    def fleet_summary(self) -> dict[str, Any]:
        """Catalog and settings in use (served, kept or the sample), maintenance,
        commands and the problems fleet control met; redacted."""
        if self.fleet is None:
            return {"available": False}
        summary: dict[str, Any] = scrub(self.fleet.diagnostics())
        return {"available": True, **summary}

    def recent_logs(self, limit: int = 200, min_level: int = 0) -> list[dict[str, Any]]:
        return [] if self.ring is None else self.ring.records(limit, min_level)

    def usb_targets(self) -> list[Path]:
        return usb_mounts()

    def export(self, dest: Path, *, as_zip: bool = True) -> Path:
        diagnostics = {"devices": self.device_diagnostics(), "outbox": self.outbox_summary(),
                       "backoffice": self.backoffice(), "fleet": self.fleet_summary()}
        return export_bundle(self.config, dest, clock=self._clock, diagnostics=diagnostics,
                             ring=self.ring, as_zip=as_zip)
