"""The scanner interface the journey screens use: ``scan() -> ScannedPage``.

Drivers supply one primitive, ``_acquire(fmt)``; this class owns the rest:
privacy (nothing is scanned while no citizen session is active), state
(BUSY while scanning, back to READY), counters, and translating any
unexpected driver failure into the project's error tree exactly once.

A :class:`ScannedPage` carries the page image in memory only (scans reach disk
only inside the encrypted outbox) and the quality keys that tell the citizen
what to fix; only a page with no keys should be kept as a material.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from devices.base import Device, DeviceState, DeviceStatus
from devices.scanner.formats import PageFormat
from kiosk.errors import DeviceError, DeviceUnavailable

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class ScannedPage:
    image: Image | None               # rectified page (BGR), None when no page was found
    format: PageFormat | None
    keys: tuple[str, ...] = ()        # document.guide.* i18n keys; empty = good
    source: str = ""

    @property
    def ok(self) -> bool:
        return self.image is not None and not self.keys


class Scanner(Device):
    kind = "scanner"

    def _acquire(self, fmt: PageFormat | None) -> ScannedPage:
        raise NotImplementedError

    def scan(self, fmt: PageFormat | None = None) -> ScannedPage:
        """One page. ``fmt`` = the material's format when the catalog says it."""
        if not self.enabled:
            raise DeviceError(f"scanner {self.name} is disabled (no citizen session)")
        status = self.status
        if status.state is DeviceState.UNAVAILABLE:
            raise DeviceUnavailable(f"scanner {self.name}: {status.reason}: {status.detail}")
        self._set_status(DeviceStatus(DeviceState.BUSY))
        try:
            page = self._acquire(fmt)
        except DeviceError as error:
            self._record_failure(error)
            if self.status.state is DeviceState.BUSY:
                self._set_status(DeviceStatus(DeviceState.READY))
            raise
        self._record_operation()
        if self.status.state is DeviceState.BUSY:
            self._set_status(DeviceStatus(DeviceState.READY))
        return page
