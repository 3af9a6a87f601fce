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

Nothing here is a singleton: each call builds a fresh :class:`DeviceSet`.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from devices.base import Device, DeviceState, DeviceStatus, Presence
from kiosk.clock import Clock
from kiosk.config.model import CameraConfig, KioskConfig, SiteProfile, load_site
from kiosk.fonts import FALLBACK_FACES

KINDS = ("idcard", "sscard", "printer", "camera", "doccam", "scanner", "codescanner")
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


class DeviceSet(Mapping[str, Device]):
    """The terminal's devices by kind; a read-only mapping plus lifecycle helpers."""

    def __init__(self, devices: Mapping[str, Device], *,
                 opened_by: Mapping[str, str] | None = None) -> None:
        self._devices = dict(devices)
        #: kind -> the kind whose open() opens it too (the doccam camera by the scanner).
        self._opened_by = dict(opened_by or {})
        self._changed = threading.Condition()
        for device in self._devices.values():
            device.add_listener(self._on_status)

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
        (the card reader's thread polls once before it knows)."""
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

    # -- technicians ----------------------------------------------------------
    def statuses(self) -> dict[str, DeviceStatus]:
        return {kind: device.status for kind, device in self._devices.items()}

    def diagnostics(self) -> dict[str, dict[str, Any]]:
        return {kind: device.diagnostics() for kind, device in self._devices.items()}

    def unavailable(self) -> dict[str, str | None]:
        """Kinds that are not usable now and the reason key (for logs and tests)."""
        return {k: s.reason for k, s in self.statuses().items()
                if s.state is DeviceState.UNAVAILABLE}


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


def build_devices(config: KioskConfig, site: SiteProfile, *, clock: Clock) -> DeviceSet:
    """The devices the site has, built but not opened (call ``open_all()``)."""
    built = _Built()
    for kind, builder in _BUILDERS:
        if site.presence(kind) is Presence.ABSENT:
            continue
        built.devices[kind] = builder(config, clock, built)
    return DeviceSet(built.devices, opened_by=built.opened_by)


def open_devices(config: KioskConfig, site: SiteProfile, clock: Clock) -> DeviceSet:
    """Built and opened: the ``device_factory`` hook of :func:`kiosk.wiring.build.build_kiosk`."""
    devices = build_devices(config, site, clock=clock)
    devices.open_all()
    return devices


def build_device_map(config: KioskConfig, clock: Clock) -> DeviceSet:
    """:func:`build_devices` for the config's own site profile (``scripts/diagnose``)."""
    return build_devices(config, load_site(config), clock=clock)
