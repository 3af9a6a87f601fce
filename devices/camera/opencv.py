"""The OpenCV capture driver: ``cv2.VideoCapture`` on an index, a path or a URL.

Only the three primitives; everything else is in :class:`devices.camera.base.Camera`.
The capture is built by ``capture_factory`` (default ``cv2.VideoCapture``), so the
simulator in ``devices/camera/simulator.py`` plugs in at exactly the seam where a
real camera would be, and this code runs unchanged against it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import cv2

from devices.camera.base import Camera, Image
from kiosk.clock import Clock
from kiosk.errors import CameraError, DeviceUnavailable


class VideoCaptureLike(Protocol):
    """The part of ``cv2.VideoCapture`` the driver uses."""

    def isOpened(self) -> bool: ...
    def read(self) -> tuple[bool, Any]: ...
    def release(self) -> None: ...
    def set(self, prop_id: int, value: float) -> bool: ...
    def get(self, prop_id: int) -> float: ...


CaptureFactory = Callable[[int | str], VideoCaptureLike]


def parse_source(source: str) -> int | str:
    """"0" -> device index 0; anything else (a /dev path, a file, an rtsp:// URL) as is."""
    text = source.strip()
    return int(text) if text.isdigit() else text


def _default_factory(source: int | str) -> VideoCaptureLike:
    capture: VideoCaptureLike = cv2.VideoCapture(source)
    return capture


class OpenCVCamera(Camera):
    def __init__(self, name: str, source: str, *, clock: Clock, width: int = 640,
                 height: int = 480, fps: int = 25, frozen_after_s: float = 2.0,
                 capture_factory: CaptureFactory | None = None,
                 max_read_failures: int = 5, reopen_interval_s: float = 1.0) -> None:
        super().__init__(name, clock=clock, fps=fps, frozen_after_s=frozen_after_s,
                         max_read_failures=max_read_failures,
                         reopen_interval_s=reopen_interval_s)
        self._source = parse_source(source)
        self._size = (width, height)
        self._fps = fps
        self._factory = capture_factory or _default_factory
        self._capture: VideoCaptureLike | None = None

    def _open_capture(self) -> None:
        try:
            capture = self._factory(self._source)
        except cv2.error as error:
            raise DeviceUnavailable(f"cannot open camera source: {error}") from error
        if not capture.isOpened():
            capture.release()
            kind = "index" if isinstance(self._source, int) else "source"
            raise DeviceUnavailable(f"camera {kind} {self._source!r} cannot be opened")
        # Requests, not guarantees: a camera picks its nearest supported mode.
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, self._size[0])
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self._size[1])
        capture.set(cv2.CAP_PROP_FPS, self._fps)
        # A buffer of one keeps V4L2 from handing out queued stale frames.
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._capture = capture

    def _read_frame(self) -> Image | None:
        capture = self._capture
        if capture is None:
            return None
        try:
            ok, image = capture.read()
        except cv2.error as error:
            raise CameraError(f"read failed: {error}") from error
        if not ok or image is None:
            return None
        frame: Image = image
        return frame

    def _close_capture(self) -> None:
        capture, self._capture = self._capture, None
        if capture is not None:
            capture.release()

    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        source = self._source
        # A URL may carry credentials (rtsp://user:pass@host); show only its scheme.
        data["source"] = source if isinstance(source, int) or "://" not in source \
            else source.split("://", 1)[0] + "://…"
        data["requested"] = {"width": self._size[0], "height": self._size[1], "fps": self._fps}
        return data
