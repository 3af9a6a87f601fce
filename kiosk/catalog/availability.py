"""Whether an item can be started at this kiosk right now (CUSS "required devices").

An item that needs a device which is not READY shows 暂停服务 (service
suspended) with the reason *before* the citizen starts, instead of failing
halfway through. The answer depends on:

* the item's channel: ``window_only`` items are never started at the kiosk;
  the guide tells the citizen what to bring and to go to the window;
* the site profile: a device kind the site marks ``absent`` can never serve;
* the live status of each device the item lists (``Device.status``: UNAVAILABLE
  suspends, BUSY is a device at work and counts as in service); for
  ``card_or_sscard`` items one working card reader of those listed is enough;
* whether the outbox accepts new submissions (full, or its key is missing):
  both kiosk channels end in a case written to the outbox.

Pure logic: devices and the outbox check are passed in, nothing is looked up.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from devices.base import Device, DeviceState, Presence
from kiosk.catalog import ServiceItem
from kiosk.config.model import SiteProfile


class Status(enum.Enum):
    AVAILABLE = "available"
    SUSPENDED = "suspended"      # 暂停服务, with a reason
    WINDOW_ONLY = "window_only"  # 请到窗口办理


#: i18n keys (screens.po) of the reasons.
REASON_WINDOW_ONLY = "availability.window_only"
REASON_NOT_AT_SITE = "availability.reason.not_at_site"
REASON_NOT_READY = "availability.reason.not_ready"
REASON_OUTBOX = "availability.reason.outbox"
#: The terminal is in maintenance (kiosk/fleet/maintenance.py): nothing starts.
REASON_MAINTENANCE = "availability.reason.maintenance"


@dataclass(frozen=True)
class Availability:
    status: Status
    #: i18n key of the reason; None when available.
    reason: str | None = None
    #: The device kind at fault (``idcard``, ``printer`` ...), for the message.
    device_kind: str | None = None
    #: The device's own reason key (``device.reason.*``) when it reported one.
    device_reason: str | None = None

    @property
    def available(self) -> bool:
        return self.status is Status.AVAILABLE


AVAILABLE = Availability(Status.AVAILABLE)
_CARD_READERS = ("idcard", "sscard")


class AvailabilityChecker:
    """Answers :meth:`check` for items from the current device statuses."""

    def __init__(self, site: SiteProfile, devices: Mapping[str, Device],
                 accepting: Callable[[], bool] = lambda: True,
                 maintenance: Callable[[], bool] = lambda: False) -> None:
        self._site = site
        self._devices = devices
        self._accepting = accepting
        self._maintenance = maintenance

    def for_site(self, site: SiteProfile) -> AvailabilityChecker:
        """The same devices and checks for another profile (central settings changed)."""
        return AvailabilityChecker(site, self._devices, self._accepting, self._maintenance)

    def check(self, item: ServiceItem) -> Availability:
        if self._maintenance():
            return Availability(Status.SUSPENDED, REASON_MAINTENANCE)
        if item.channel == "window_only":
            return Availability(Status.WINDOW_ONLY, REASON_WINDOW_ONLY)
        readers = [k for k in item.devices if k in _CARD_READERS] if item.accepts_sscard else []
        if readers:
            # card_or_sscard: either reader proves identity; suspended only when none can.
            problems = [self._problem(k) for k in readers]
            if all(problems):
                return next(p for p in problems if p is not None)
        for kind in item.devices:
            if kind in readers:
                continue
            problem = self._problem(kind)
            if problem is not None:
                return problem
        if not self._accepting():
            return Availability(Status.SUSPENDED, REASON_OUTBOX)
        return AVAILABLE

    def _problem(self, kind: str) -> Availability | None:
        if self._site.presence(kind) is Presence.ABSENT:
            return Availability(Status.SUSPENDED, REASON_NOT_AT_SITE, kind)
        device = self._devices.get(kind)
        if device is None:
            return Availability(Status.SUSPENDED, REASON_NOT_READY, kind,
                                "device.reason.not_opened")
        status = device.status
        # BUSY is a device at work (the last citizen's receipt printing, a card being
        # read): in service. Counting it as not ready made every item that prints flash
        # 暂停服务 on the next citizen's list each time a receipt came out.
        if status.state is DeviceState.UNAVAILABLE:
            return Availability(Status.SUSPENDED, REASON_NOT_READY, kind, status.reason)
        return None
