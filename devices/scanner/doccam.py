"""The document camera as a scanner: the latest camera frame, handed to a page finder.

The page finder (detection, quality keys, rectification) is application logic
and is passed in by the wiring; this device only owns the camera's frames.
"""

from __future__ import annotations

from typing import Any, Protocol

from devices.base import DeviceState, DeviceStatus
from devices.camera.base import Camera, Image
from devices.scanner.base import ScannedPage, Scanner
from devices.scanner.formats import PageFormat


class FoundPage(Protocol):
    @property
    def page(self) -> Image | None: ...
    @property
    def format(self) -> PageFormat | None: ...
    @property
    def keys(self) -> tuple[str, ...]: ...


class PageFinder(Protocol):
    """Find, check and rectify the page in one frame (``kiosk.documents.quality.capture_page``)."""

    def __call__(self, frame: Image, fmt: PageFormat | None = None, *,
                 dpi: int = 200) -> FoundPage: ...


class DocCamScanner(Scanner):
    """Owns no hardware of its own: its state follows the camera's."""

    def __init__(self, name: str, camera: Camera, *, capture: PageFinder, dpi: int = 200,
                 frame_timeout_s: float = 2.0) -> None:
        super().__init__(name)
        self._camera = camera
        self._capture = capture
        self._dpi = dpi
        self._timeout = frame_timeout_s
        camera.add_listener(lambda _device, status: self._follow(status))

    def _follow(self, status: DeviceStatus) -> None:
        if self.status.state is not DeviceState.BUSY or not status.ready:
            self._set_status(status)

    def open(self) -> None:
        self._camera.open()
        self._set_status(self._camera.status)

    def close(self) -> None:
        self._camera.close()

    def enable(self) -> None:
        super().enable()
        self._camera.enable()

    def disable(self) -> None:
        super().disable()
        self._camera.disable()

    def _acquire(self, fmt: PageFormat | None) -> ScannedPage:
        frame = self._camera.latest(timeout=self._timeout)
        capture = self._capture(frame.image, fmt, dpi=self._dpi)
        return ScannedPage(capture.page, capture.format, capture.keys, source="doccam")

    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        data["camera"] = self._camera.diagnostics()
        return data
