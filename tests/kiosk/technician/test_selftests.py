"""kiosk/technician/selftests.py: the technician's self-tests report results, never raise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from devices.camera.base import Frame
from kiosk.errors import CameraError
from kiosk.technician.selftests import camera_frame, print_test_page, scan_page


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float


class StillCamera:
    def __init__(self, image: Any = None, error: Exception | None = None) -> None:
        self.image = image
        self.error = error

    def latest(self, timeout: float = 1.0, after_seq: int = 0) -> Frame:
        if self.error is not None:
            raise self.error
        return Frame(self.image, 1, 0.0)


def test_camera_frame_draws_the_face_box_on_a_small_rgb_preview() -> None:
    image = np.full((960, 1280, 3), 128, np.uint8)
    out = camera_frame(StillCamera(image), lambda _img: [Box(100, 100, 200, 240)])
    assert out.ok and out.key == "ts.tech.test.camera_ok" and out.values["faces"] == 1
    assert out.image is not None and out.image.shape == (480, 640, 3)
    assert tuple(out.image[50, 100]) == (0, 200, 0)  # the box's top edge, green, halved
    assert (image == 128).all()  # the device's frame is left alone


def test_camera_failures_are_results() -> None:
    out = camera_frame(StillCamera(error=CameraError("disabled")), None)
    assert not out.ok and out.key == "error.camera"
    assert camera_frame(None, None).key == "ts.tech.test.no_device"
    blank = camera_frame(StillCamera(np.zeros((10, 10, 3), np.uint8)), lambda _i: [])
    assert blank.ok and blank.key == "ts.tech.test.no_face"


def test_missing_printer_and_scanner_are_reported() -> None:
    assert print_test_page(None, terminal_id="T", clock=None, texts=None).key == \
        "ts.tech.test.no_device"
    assert scan_page(object()).key == "ts.tech.test.no_device"
