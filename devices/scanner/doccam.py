"""The document camera as a scanner: the latest camera frame, page detection, rectification."""

from __future__ import annotations

from typing import Any

from devices.base import DeviceState, DeviceStatus
from devices.camera.base import Camera
from devices.scanner.base import ScannedPage, Scanner
from kiosk.documents.formats import PageFormat
from kiosk.documents.quality import capture_page


class DocCamScanner(Scanner):
    """Owns no hardware of its own: its state follows the camera's."""

    def __init__(self, name: str, camera: Camera, *, dpi: int = 200,
                 frame_timeout_s: float = 2.0) -> None:
        super().__init__(name)
        self._camera = camera
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
        capture = capture_page(frame.image, fmt, dpi=self._dpi)
        return ScannedPage(capture.page, capture.format, capture.keys, source="doccam")

    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        data["camera"] = self._camera.diagnostics()
        return data
