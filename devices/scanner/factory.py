"""Build the scanner from its settings: ``devices.scanner.driver`` = doccam | sane | none.

The page finder (detection, quality checks, rectification) is the kiosk's
business and comes in as ``capture``; the wiring passes the document camera when
the site already has one, so both share one ``cv2.VideoCapture``.
"""

from __future__ import annotations

from devices.camera.base import Camera
from devices.camera.factory import make_camera
from devices.scanner.base import Scanner
from devices.scanner.doccam import DocCamScanner, PageFinder
from devices.scanner.sane import SaneScanner
from devices.settings import DevicesConfig
from kiosk.clock import Clock


def make_scanner(devices: DevicesConfig, *, clock: Clock, capture: PageFinder,
                 camera: Camera | None = None) -> Scanner | None:
    """None when there is no scanner (driver ``none``, or doccam with no document camera)."""
    config = devices.scanner
    if config.driver == "sane":
        return SaneScanner("scanner", config.sane_device, dpi=config.dpi)
    if config.driver == "doccam":
        if camera is None:
            camera = make_camera(devices.doccam, clock=clock, name="doccam")
        if camera is None:
            return None
        return DocCamScanner("scanner", camera, capture=capture, dpi=config.dpi)
    return None
