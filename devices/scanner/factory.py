"""Build the scanner from config: ``devices.scanner.driver`` = doccam | sane | none."""

from __future__ import annotations

from devices.camera.factory import make_camera
from devices.scanner.base import Scanner
from devices.scanner.doccam import DocCamScanner
from devices.scanner.sane import SaneScanner
from kiosk.clock import Clock
from kiosk.config.model import DevicesConfig


def make_scanner(devices: DevicesConfig, *, clock: Clock) -> Scanner | None:
    """None when there is no scanner (driver ``none``, or doccam with no document camera)."""
    config = devices.scanner
    if config.driver == "sane":
        return SaneScanner("scanner", config.sane_device, dpi=config.dpi)
    if config.driver == "doccam":
        camera = make_camera(devices.doccam, clock=clock, name="doccam")
        return None if camera is None else DocCamScanner("doccam", camera, dpi=config.dpi)
    return None
