"""SANE flatbed scanners through python-sane, behind the Scanner interface.

python-sane is a dependency (it builds against Debian's libsane-dev), but the
driver still imports it lazily: a kiosk without the library, or without a
scanner attached, shows the scanner as UNAVAILABLE with the reason
(``device.reason.library_missing`` / ``device.reason.not_found``) and keeps
running. ``import_sane`` is the hardware seam: tests run the real library
against SANE's own ``test`` backend (libsane1), chosen by ``SANE_CONFIG_DIR``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

import cv2
import numpy as np

from devices.base import DeviceState, DeviceStatus
from devices.scanner.base import ScannedPage, Scanner
from devices.scanner.formats import PageFormat
from kiosk.errors import DeviceError, DeviceUnavailable

REASON_LIBRARY = "device.reason.library_missing"
REASON_NOT_FOUND = "device.reason.not_found"
REASON_FAILED = "device.reason.failed"


def _import_sane() -> ModuleType:
    return importlib.import_module("sane")


class SaneScanner(Scanner):
    def __init__(self, name: str, device: str = "", *, dpi: int = 200, mode: str = "Color",
                 import_sane: Callable[[], ModuleType] = _import_sane) -> None:
        super().__init__(name)
        self._wanted = device
        self._dpi = dpi
        self._mode = mode
        self._import = import_sane
        self._sane: ModuleType | None = None
        self._device: Any = None
        self._device_name = ""

    def open(self) -> None:
        try:
            sane = self._import()
        except ImportError as error:
            self._unavailable(REASON_LIBRARY, f"python-sane is not importable: {error}")
            return
        try:
            sane.init()
            self._sane = sane
            found = [d[0] for d in sane.get_devices()]
            if not found:
                self._unavailable(REASON_NOT_FOUND, "SANE lists no scanner")
                return
            if self._wanted and self._wanted not in found:
                self._unavailable(REASON_NOT_FOUND, f"{self._wanted!r} not among {found}")
                return
            self._device_name = self._wanted or found[0]
            self._device = sane.open(self._device_name)
            self._configure()
        except (sane._sane.error, RuntimeError, AttributeError) as error:
            self._unavailable(REASON_FAILED, f"SANE: {error}")
            return
        self._set_status(DeviceStatus(DeviceState.READY))

    def _configure(self) -> None:
        options = getattr(self._device, "opt", {})
        # Options differ per backend; set only those this one has (SANE standard
        # option names, SANE 1 API §4.5).
        if "mode" in options:
            self._device.mode = self._mode
        if "resolution" in options:
            self._device.resolution = self._dpi

    def close(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            device.close()
        if self._sane is not None:
            self._sane.exit()
            self._sane = None
        self._set_status(DeviceStatus(DeviceState.UNAVAILABLE, reason="device.reason.not_opened"))

    def _acquire(self, fmt: PageFormat | None) -> ScannedPage:
        sane = self._sane
        if self._device is None or sane is None:
            raise DeviceUnavailable(f"scanner {self.name} is not open")
        try:
            picture = self._device.scan()
        except (sane._sane.error, RuntimeError) as error:
            raise DeviceError(f"SANE scan failed: {error}") from error
        rgb = np.asarray(picture.convert("RGB"), np.uint8)
        image = np.ascontiguousarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), np.uint8)
        # A flatbed page is already flat and evenly lit: no detection, no cleanup.
        return ScannedPage(image, fmt or PageFormat.A4, (), source="sane")

    def _unavailable(self, reason: str, detail: str) -> None:
        self._record_failure(DeviceUnavailable(detail))
        self._set_status(DeviceStatus(DeviceState.UNAVAILABLE, reason=reason, detail=detail))

    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        data["device"] = self._device_name
        data["dpi"] = self._dpi
        return data
