"""The USB printer class device (``/dev/usb/lp0``, Linux ``usblp``) as a printer transport.

Most USB receipt printers enumerate as USB printer class (07h) devices, and Linux
binds them to ``usblp``: a character device that takes the ESC/POS stream on
write and, for bidirectional printers, returns what the printer sends back on
read — so ``DLE EOT`` status queries work as over a serial line, without libusb
and without detaching the kernel driver (python-escpos' ``File`` printer only
writes, and so knows nothing of paper or cover).

The port is opened non-blocking; reads wait with ``select`` up to the status
timeout. A printer that never answers is a one-way printer: status queries time
out and the base class reports it as such. Errors become ``DeviceUnavailable``
here, once (ENODEV/EIO after an unplug, EACCES without the udev rule).
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import time
from typing import Any

from devices.printer.base import ReceiptPrinter
from devices.printer.profile import PrinterProfile
from kiosk.errors import DeviceTimeout, DeviceUnavailable

#: How long one write may wait for the printer to take more bytes.
WRITE_STALL_S = 5.0


class LinuxLpPrinter(ReceiptPrinter):
    """A printer on ``/dev/usb/lpN`` (or any bidirectional character device)."""

    def __init__(self, name: str, profile: PrinterProfile, path: str = "/dev/usb/lp0",
                 **kw: Any) -> None:
        super().__init__(name, profile, **kw)
        self.path = path
        self._fd = -1

    def _open_transport(self) -> None:
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_NONBLOCK | os.O_NOCTTY)
        except OSError as exc:
            hint = " (is the kiosk user allowed? see the udev rules)" \
                if exc.errno == errno.EACCES else ""
            raise DeviceUnavailable(f"open {self.path}: {exc.strerror}{hint}",
                                    i18n_key="device.reason.disconnected") from None

    def _close_transport(self) -> None:
        fd, self._fd = self._fd, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _write(self, data: bytes) -> None:
        fd = self._require()
        view = memoryview(data)
        deadline = time.monotonic() + WRITE_STALL_S
        while view:
            try:
                n = os.write(fd, view)
            except BlockingIOError:
                n = 0
            except OSError as exc:
                raise DeviceUnavailable(f"write {self.path}: {exc.strerror}",
                                        i18n_key="device.reason.disconnected") from None
            if n:
                view = view[n:]
                deadline = time.monotonic() + WRITE_STALL_S
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeviceTimeout(f"write {self.path}: printer took no data for "
                                    f"{WRITE_STALL_S:.0f} s")
            select.select([], [fd], [], left)

    def _read(self, timeout_s: float) -> bytes:
        fd = self._require()
        try:
            ready, _, _ = select.select([fd], [], [], max(timeout_s, 0.001))
            if not ready:
                return b""
            data = os.read(fd, 64)
        except BlockingIOError:
            return b""
        except OSError as exc:
            raise DeviceUnavailable(f"read {self.path}: {exc.strerror}",
                                    i18n_key="device.reason.disconnected") from None
        if not data:
            raise DeviceUnavailable(f"{self.path}: end of file (unplugged)",
                                    i18n_key="device.reason.disconnected")
        return data

    def _require(self) -> int:
        if self._fd < 0:
            raise DeviceUnavailable("printer not open", i18n_key="device.reason.not_opened")
        return self._fd

    def transport_name(self) -> str:
        return f"lp:{self.path}"
