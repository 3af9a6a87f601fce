"""Real-time status bytes (``DLE EOT n``) and what they mean for the kiosk.

Epson ESC/POS reference, DLE EOT: every answer is one byte with bits 1 and 4
set and bits 0 and 7 clear (``byte & 0x93 == 0x12``); anything else is not a
status byte.

* n=1 printer status: bit 3 offline.
* n=2 offline cause: bit 2 cover open, bit 3 paper fed by the FEED button,
  bit 5 printing stopped by paper end, bit 6 an error occurred.
* n=4 roll paper sensor: bits 2-3 near end, bits 5-6 paper end (python-escpos
  ``paper_status()`` reads the same byte: 2 ok, 1 near end, 0 out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from devices.base import DeviceState, DeviceStatus, MediaStatus
from kiosk.errors import CoverOpen, PaperOut, PrinterError, ProtocolError

Paper = Literal["ok", "near_end", "out"]

REASON_PAPER_OUT = "device.reason.paper_out"
REASON_PAPER_LOW = "device.reason.paper_low"
REASON_COVER_OPEN = "device.reason.cover_open"
REASON_OFFLINE = "device.reason.offline"
REASON_ERROR = "device.reason.printer_error"


def _check(byte: int, n: int) -> None:
    if byte & 0x93 != 0x12:
        raise ProtocolError(f"DLE EOT {n}: 0x{byte:02x} is not a status byte")


@dataclass(frozen=True)
class PrinterStatusBits:
    online: bool = True
    cover_open: bool = False
    paper: Paper = "ok"
    error: bool = False

    @classmethod
    def parse(cls, printer: int, offline: int, paper: int) -> PrinterStatusBits:
        """From the answers to DLE EOT 1, 2 and 4."""
        _check(printer, 1)
        _check(offline, 2)
        _check(paper, 4)
        if paper & 0x60:
            state: Paper = "out"
        elif paper & 0x0C:
            state = "near_end"
        else:
            state = "ok"
        if offline & 0x20:
            state = "out"
        return cls(online=not printer & 0x08, cover_open=bool(offline & 0x04), paper=state,
                   error=bool(offline & 0x40))

    def device_status(self) -> DeviceStatus:
        media = {"ok": MediaStatus.PRESENT, "near_end": MediaStatus.LOW,
                 "out": MediaStatus.EMPTY}[self.paper]
        down = DeviceState.UNAVAILABLE
        if self.cover_open:
            return DeviceStatus(down, media, REASON_COVER_OPEN, "cover open")
        if self.paper == "out":
            return DeviceStatus(down, media, REASON_PAPER_OUT, "paper out")
        if self.error:
            return DeviceStatus(down, media, REASON_ERROR, "printer error")
        if not self.online:
            return DeviceStatus(down, media, REASON_OFFLINE, "offline")
        if self.paper == "near_end":
            return DeviceStatus(DeviceState.READY, media, REASON_PAPER_LOW, "paper near end")
        return DeviceStatus(DeviceState.READY, media)

    def error_for(self) -> PrinterError | None:
        """The typed error a job gets when the printer is in this state."""
        if self.cover_open:
            return CoverOpen("cover open")
        if self.paper == "out":
            return PaperOut("paper out")
        if self.error:
            return PrinterError("printer error")
        if not self.online:
            return PrinterError("printer offline")
        return None
