"""Every device of one terminal, built from ``KioskConfig`` + ``SiteProfile``.

:func:`build_devices` is the one place that turns configuration into driver
objects (the device engineers' ``make_*`` functions); the app, ``scripts/run``
(through :mod:`simenv.environment`'s overlay), ``scripts/diagnose all`` and the
end-to-end tests all call it, so they all run the same drivers.

Rules, in this order, per kind (``idcard sscard printer camera doccam scanner
codescanner``):

* the site marks the kind ``absent`` -> no device at all (not in the set);
* ``driver: none`` -> an :class:`UnavailableDevice` with
  ``device.reason.not_configured``;
* the driver's Python library is missing (pyserial, pyscard, python-escpos,
  OpenCV, or the driver module itself, e.g. while ``devices/sscard`` is not
  built) -> :class:`UnavailableDevice` with ``device.reason.library_missing``;
* otherwise the real driver. A port or camera that is not there is the
  driver's business: it opens UNAVAILABLE with its own reason
  (``device.reason.idcard_unplugged``, ``device.reason.disconnected`` ...)
  and, where the driver supports hot-plug, comes back by itself.

A bad simulator spec in a camera ``source`` is a :class:`~kiosk.errors.ConfigError`
(the operator's file is wrong: exit 2), never a device state.

The scanner with ``driver: doccam`` shares the document camera device when the
site has one (one ``cv2.VideoCapture`` per camera): :meth:`DeviceSet.open_all`
then opens that camera through the scanner only.

The app builds the cameras and the scanner after Home is on screen
(``build_devices(..., defer=DEFERRABLE)``): OpenCV and NumPy take about a tenth of a
second to load, and nothing on Home needs them. Until :meth:`DeviceSet.open_all`
builds them on the start thread, a :class:`PendingDevice` stands in with the status of
a device not yet opened and relays the real one's statuses once it exists; the set
itself (which the kiosk keeps, never a copy) then holds the real device. A camera
``source`` is still checked at once (devices/camera/sources.py), so a bad one stops
the start with exit 2.

Nothing here is a singleton: each call builds a fresh :class:`DeviceSet`.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

from devices.base import Device, DeviceState, DeviceStatus, Presence
from devices.camera.sources import check_source
from kiosk.clock import Clock
from kiosk.config.model import CameraConfig, KioskConfig, SiteProfile, load_site
from kiosk.fonts import FALLBACK_FACES

KINDS = ("idcard", "sscard", "printer", "camera", "doccam", "scanner", "codescanner")
#: Kinds whose drivers load OpenCV and NumPy: built after Home when the app asks.
DEFERRABLE = ("camera", "doccam", "scanner")
REASON_NOT_CONFIGURED = "device.reason.not_configured"
REASON_LIBRARY = "device.reason.library_missing"
REASON_NOT_OPENED = "device.reason.not_opened"
#: The PC/SC driver the factory expects: ``make_reader(config, *, clock)``.
SSCARD_MODULE = "devices.sscard.pcsc"
#: How long :meth:`DeviceSet.open_all` waits for every device's first real status.
SETTLE_S = 5.0


class UnavailableDevice(Device):
    """A device that cannot exist on this terminal as configured; says why, forever."""

    def __init__(self, kind: str, reason: str, detail: str = "") -> None:
        super().__init__(kind)
        self.kind = kind
        self._fixed = DeviceStatus(DeviceState.UNAVAILABLE, reason=reason, detail=detail)
        self._set_status(self._fixed)

    def open(self) -> None:
        self._set_status(self._fixed)

    def close(self) -> None:
        self._set_status(self._fixed)


class PendingDevice(Device):
    """A device to be built when the set is opened: until then the status of a device
    not yet opened; afterwards it repeats the real device's statuses to whoever
    listened to it (the shell watches every device from the start)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind

    def open(self) -> None:  # DeviceSet.open_all builds the real device instead
        pass

    def close(self) -> None:
        pass

    def relay(self, real: Device) -> None:
        if self.enabled:  # a session began before the device existed
            real.enable()
        real.add_listener(lambda _real, status: self._set_status(status))
        self._set_status(real.status)


class DeviceSet(Mapping[str, Device]):
    """The terminal's devices by kind; a read-only mapping plus lifecycle helpers."""

    def __init__(self, devices: Mapping[str, Device], *,
                 opened_by: Mapping[str, str] | None = None,
                 pending: Callable[[_Built], None] | None = None) -> None:
        self._devices = dict(devices)
        #: kind -> the kind whose open() opens it too (the doccam camera by the scanner).
        self._opened_by = dict(opened_by or {})
        #: builds the PendingDevice kinds (see build_devices), once, in open_all
        self._pending = pending
        self._changed = threading.Condition()
        for device in self._devices.values():
            device.add_listener(self._on_status)

    def _build_pending(self) -> None:
        build, self._pending = self._pending, None
        if build is None:
            return
        built = _Built()
        built.devices = {k: d for k, d in self._devices.items()
                         if not isinstance(d, PendingDevice)}
        build(built)
        for kind, device in built.devices.items():
            stand_in = self._devices.get(kind)
            if isinstance(stand_in, PendingDevice):
                device.add_listener(self._on_status)
                self._devices[kind] = device
                stand_in.relay(device)
        self._opened_by.update(built.opened_by)

    def _on_status(self, _device: Device, _status: DeviceStatus) -> None:
        with self._changed:
            self._changed.notify_all()

    # -- Mapping ------------------------------------------------------------
    def __getitem__(self, kind: str) -> Device:
        return self._devices[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._devices)

    def __len__(self) -> int:
        return len(self._devices)

    # -- lifecycle ------------------------------------------------------------
    def open_all(self, settle_s: float = SETTLE_S) -> None:
        """Open every device (never raises: failures are states), then wait at most
        ``settle_s`` until each has reported a first status other than "not opened"
        (the card reader's thread polls once before it knows). Devices left pending
        by ``build_devices(defer=...)`` are built first."""
        self._build_pending()
        for kind, device in self._devices.items():
            if self._opened_by.get(kind) in self._devices:
                continue
            device.open()
        self.wait_settled(settle_s)

    def wait_settled(self, timeout_s: float) -> bool:
        with self._changed:
            return self._changed.wait_for(
                lambda: all(d.status.reason != REASON_NOT_OPENED
                            for d in self._devices.values()), timeout_s)

    def close_all(self) -> None:
        # Reverse order: the scanner before the camera it holds.
        for device in reversed(list(self._devices.values())):
            device.close()

    def __enter__(self) -> DeviceSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_all()

    def present_at(self, site: SiteProfile) -> Mapping[str, Device]:
        """The devices another site shown by the same process has (the walk's sites
        share one set): a live view, so a device built later is in it too."""
        return _SiteView(self, site)

    # -- technicians ----------------------------------------------------------
    def statuses(self) -> dict[str, DeviceStatus]:
        return {kind: device.status for kind, device in self._devices.items()}

    def diagnostics(self) -> dict[str, dict[str, Any]]:
        return {kind: device.diagnostics() for kind, device in self._devices.items()}

    def unavailable(self) -> dict[str, str | None]:
        """Kinds that are not usable now and the reason key (for logs and tests)."""
        return {k: s.reason for k, s in self.statuses().items()
                if s.state is DeviceState.UNAVAILABLE}


class _SiteView(Mapping[str, Device]):
    def __init__(self, devices: DeviceSet, site: SiteProfile) -> None:
        self._devices, self._site = devices, site

    def _kinds(self) -> list[str]:
        return [k for k in self._devices if self._site.presence(k) is not Presence.ABSENT]

    def __getitem__(self, kind: str) -> Device:
        if kind not in self._kinds():
            raise KeyError(kind)
        return self._devices[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds())

    def __len__(self) -> int:
        return len(self._kinds())


# --------------------------------------------------------------------------- builders

class _Built:
    """What has been built so far, and which device opens another."""

    def __init__(self) -> None:
        self.devices: dict[str, Device] = {}
        self.opened_by: dict[str, str] = {}


Builder = Callable[[KioskConfig, Clock, _Built], Device]


def _library_missing(kind: str, error: ImportError) -> UnavailableDevice:
    return UnavailableDevice(kind, REASON_LIBRARY, f"{type(error).__name__}: {error}")


def _from_factory(kind: str, driver: str, module: str, factory: str, *args: Any,
                  **kwargs: Any) -> Device:
    """``module.factory(*args, **kwargs)``, or an UnavailableDevice that says why not
    (``driver: none``, the library missing, the factory building nothing)."""
    if driver == "none":
        return UnavailableDevice(kind, REASON_NOT_CONFIGURED, "driver: none")
    try:
        make = getattr(importlib.import_module(module), factory)
    except ImportError as error:
        return _library_missing(kind, error)
    device = make(*args, **kwargs)
    return device if device is not None else UnavailableDevice(kind, REASON_NOT_CONFIGURED)


def _idcard(config: KioskConfig, clock: Clock, _built: _Built) -> Device:
    cfg = config.devices.idcard
    return _from_factory("idcard", cfg.driver, "devices.idcard.factory", "make_reader", cfg,
                         clock=clock)


def _sscard(config: KioskConfig, clock: Clock, _built: _Built) -> Device:
    cfg = config.devices.sscard
    if cfg.driver == "none":
        return UnavailableDevice("sscard", REASON_NOT_CONFIGURED, "driver: none")
    try:
        module = importlib.import_module(SSCARD_MODULE)
    except ImportError as error:  # pyscard, or the driver module itself
        return _library_missing("sscard", error)
    make_reader = getattr(module, "make_reader", None)
    if not callable(make_reader):
        return UnavailableDevice("sscard", REASON_LIBRARY,
                                 f"{SSCARD_MODULE} has no make_reader(config, *, clock)")
    reader = make_reader(cfg, clock=clock)
    if reader is None:
        return UnavailableDevice("sscard", REASON_NOT_CONFIGURED)
    if not isinstance(reader, Device):
        raise TypeError(f"{SSCARD_MODULE}.make_reader returned {type(reader).__name__}")
    return reader


def _printer(config: KioskConfig, clock: Clock, _built: _Built) -> Device:
    cfg = config.devices.printer
    return _from_factory("printer", cfg.driver, "devices.printer.drivers", "make_printer", cfg,
                         clock=clock, fallback_fonts=FALLBACK_FACES)


def _make_camera(kind: str, cfg: CameraConfig, clock: Clock) -> Device:
    return _from_factory(kind, cfg.driver, "devices.camera.factory", "make_camera", cfg,
                         clock=clock, name=kind)


def _camera(config: KioskConfig, clock: Clock, _built: _Built) -> Device:
    return _make_camera("camera", config.devices.camera, clock)


def _doccam(config: KioskConfig, clock: Clock, _built: _Built) -> Device:
    return _make_camera("doccam", config.devices.doccam, clock)


def _scanner(config: KioskConfig, clock: Clock, built: _Built) -> Device:
    cfg = config.devices.scanner
    if cfg.driver == "none":
        return UnavailableDevice("scanner", REASON_NOT_CONFIGURED, "driver: none")
    try:
        from devices.camera.base import Camera
        from devices.scanner.factory import make_scanner
        from kiosk.documents.quality import capture_page
    except ImportError as error:
        return _library_missing("scanner", error)
    camera = None
    if cfg.driver == "doccam":
        shared = built.devices.get("doccam")
        if shared is None:  # the site has no separate doccam entry: the scanner owns one
            shared = _make_camera("doccam", config.devices.doccam, clock)
        elif isinstance(shared, Camera):
            built.opened_by["doccam"] = "scanner"
        if not isinstance(shared, Camera):
            status = shared.status
            return UnavailableDevice("scanner", status.reason or REASON_NOT_CONFIGURED,
                                     f"document camera: {status.detail}")
        camera = shared
    scanner = make_scanner(config.devices, clock=clock, capture=capture_page, camera=camera)
    return scanner if scanner is not None else UnavailableDevice("scanner", REASON_NOT_CONFIGURED)


def _codescanner(config: KioskConfig, clock: Clock, _built: _Built) -> Device:
    """The QR/barcode scanner (亮码): serial/USB-CDC or a keyboard wedge."""
    cfg = config.devices.codescanner
    return _from_factory("codescanner", cfg.driver, "devices.codescanner.diagnose",
                         "make_code_scanner", cfg, clock=clock)


#: Build order matters: the scanner may share the doccam built before it.
_BUILDERS: tuple[tuple[str, Builder], ...] = (
    ("idcard", _idcard), ("sscard", _sscard), ("printer", _printer),
    ("camera", _camera), ("doccam", _doccam), ("scanner", _scanner),
    ("codescanner", _codescanner),
)


def build_devices(config: KioskConfig, site: SiteProfile, *, clock: Clock,
                  defer: Collection[str] = ()) -> DeviceSet:
    """The devices the site has, built but not opened (call ``open_all()``). Kinds in
    ``defer`` (of :data:`DEFERRABLE`) are built by ``open_all()``, a
    :class:`PendingDevice` standing in until then; their sources are checked now."""
    built = _Built()
    later: list[tuple[str, Builder]] = []
    if defer:  # the operator's mistake stops the start now, not on the start thread
        for section in (config.devices.camera, config.devices.doccam):
            if section.driver != "none":
                check_source(section.source)
    for kind, builder in _BUILDERS:
        if site.presence(kind) is Presence.ABSENT:
            continue
        if kind in defer and kind in DEFERRABLE:
            built.devices[kind] = PendingDevice(kind)
            later.append((kind, builder))
            continue
        built.devices[kind] = builder(config, clock, built)

    def build_later(into: _Built) -> None:
        for kind, builder in later:  # in _BUILDERS order: the doccam before its scanner
            into.devices[kind] = builder(config, clock, into)
    return DeviceSet(built.devices, opened_by=built.opened_by,
                     pending=build_later if later else None)


def open_devices(config: KioskConfig, site: SiteProfile, clock: Clock) -> DeviceSet:
    """Built and opened: the ``device_factory`` hook of :func:`kiosk.wiring.build.build_kiosk`."""
    devices = build_devices(config, site, clock=clock)
    devices.open_all()
    return devices


def build_device_map(config: KioskConfig, clock: Clock) -> DeviceSet:
    """:func:`build_devices` for the config's own site profile (``scripts/diagnose``)."""
    return build_devices(config, load_site(config), clock=clock)
