"""The page loop hands the live preview a frame no larger than the screen shows: the
preview's texture is uploaded on the UI thread at every frame."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from devices.camera.base import Frame
from kiosk.errors import DeviceTimeout
from kiosk.wiring.journey import PREVIEW_PX, PageLoop, preview_image


class OneFrameCamera:
    """Gives one frame, then times out like a camera with nothing new."""

    def __init__(self, image: Any) -> None:
        self.image = image

    def latest(self, timeout: float = 1.0, after_seq: int = 0) -> Frame:
        if after_seq == 0:
            return Frame(self.image, 1, time.monotonic())
        time.sleep(min(timeout, 0.05))
        raise DeviceTimeout("no new frame")


def _previews(image: Any) -> list[Any]:
    got: list[Any] = []
    arrived = threading.Event()

    def on_preview(frame: Any) -> None:
        got.append(frame)
        arrived.set()
    loop = PageLoop(OneFrameCamera(image), None, on_preview,  # type: ignore[arg-type]
                    lambda data, keys: None).start()
    try:
        assert arrived.wait(5), "no preview frame"
    finally:
        loop.stop()
    return got


@pytest.mark.parametrize("size", [(1080, 1920), (1944, 2592), (3120, 4208), (4208, 3120)])
def test_a_large_document_camera_frame_reaches_the_preview_shrunk_to_the_screen(
        size: tuple[int, int]) -> None:
    height, width = size
    image = np.zeros((height, width, 3), np.uint8)
    image[: height // 2, : width // 2] = (0, 0, 255)  # a red quarter, top left
    (preview,) = _previews(image)
    assert max(preview.shape[:2]) == PREVIEW_PX
    assert preview.shape[2] == 3 and preview.dtype == np.uint8
    assert abs(preview.shape[1] / preview.shape[0] - width / height) < 0.01
    # the same picture: the red quarter is still the top-left quarter
    ph, pw = preview.shape[:2]
    assert tuple(preview[ph // 4, pw // 4]) == (0, 0, 255)
    assert tuple(preview[ph * 3 // 4, pw * 3 // 4]) == (0, 0, 0)


def test_a_frame_the_preview_can_show_as_it_is_is_not_copied() -> None:
    image = np.zeros((480, 640, 3), np.uint8)
    (preview,) = _previews(image)
    assert preview is image
    thin = np.zeros((PREVIEW_PX, 40, 3), np.uint8)
    assert preview_image(thin) is thin
