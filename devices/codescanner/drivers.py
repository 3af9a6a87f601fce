"""Scanner transports: serial / USB-CDC lines (pyserial) and keyboard-wedge input nodes.

Only primitives live here (open, close, read what arrived); the framing is
:mod:`devices.codescanner.framing` or :mod:`devices.codescanner.evdev`, the behaviour
:class:`devices.codescanner.base.CodeScanner`. Library errors become
``DeviceUnavailable`` here, once.
"""

from __future__ import annotations

import contextlib
import os
import select
import termios
from collections.abc import Callable
from typing import Any

import serial

from devices.codescanner.base import CodeScanner
from devices.codescanner.evdev import KeyDecoder, open_input
from devices.codescanner.framing import Code, CodeFramer, Reject, Terminator
from kiosk.errors import DeviceUnavailable

_PORT_ERRORS = (serial.SerialException, OSError, termios.error)
PortFactory = Callable[[str, int], Any]


def open_serial(path: str, baud: int) -> serial.Serial:
    return serial.Serial(path, baud, timeout=0, exclusive=True)


class SerialCodeScanner(CodeScanner):
    """A scanner in serial mode (RS-232, or USB-CDC ``/dev/ttyACM*``)."""

    def __init__(self, name: str = "codescanner", *, port: str, baud: int = 9600,
                 terminator: Terminator = Terminator.CR, aim_prefix: bool = False,
                 port_factory: PortFactory = open_serial, **base: Any) -> None:
        super().__init__(name, **base)
        self.port = port
        self.baud = baud
        self._framer = CodeFramer(terminator=terminator, aim_prefix=aim_prefix)
        self._port_factory = port_factory
        self._serial: Any = None

    def _open_transport(self) -> None:
        try:
            self._serial = self._port_factory(self.port, self.baud)
        except (*_PORT_ERRORS, ValueError) as err:
            raise DeviceUnavailable(f"open {self.port}: {err}") from None

    def _close_transport(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            with contextlib.suppress(*_PORT_ERRORS):
                port.close()

    def _read_items(self, now: float) -> list[Code | Reject]:
        if self._serial is None:
            raise DeviceUnavailable("port not open")
        try:
            fd = self._serial.fileno()
            ready, _, _ = select.select([fd], [], [], self._poll_interval_s)
            data = self._serial.read(4096) if ready else b""
            if ready and not data:
                raise DeviceUnavailable(f"{self.port}: end of file (unplugged)")
        except _PORT_ERRORS as err:
            raise DeviceUnavailable(f"read from {self.port}: {err}") from None
        return self._framer.feed(bytes(data), now)

    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        data.update({"transport": "serial", "port": self.port, "baud": self.baud,
                     "terminator": self._framer.terminator.name})
        return data


class EvdevCodeScanner(CodeScanner):
    """A keyboard-wedge scanner read from its ``/dev/input/event*`` node, grabbed."""

    def __init__(self, name: str = "codescanner", *, path: str, grab: bool = True,
                 **base: Any) -> None:
        super().__init__(name, **base)
        self.path = path
        self.grab = grab
        self._fd = -1
        self._decoder = KeyDecoder()
        self._last_key_at: float | None = None
        #: A code half typed and then silent this long is dropped as partial.
        self.idle_s = 0.3

    def _open_transport(self) -> None:
        self._fd = open_input(self.path, grab=self.grab)
        self._decoder.reset()

    def _close_transport(self) -> None:
        fd, self._fd = self._fd, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _read_items(self, now: float) -> list[Code | Reject]:
        if self._fd < 0:
            raise DeviceUnavailable("input node not open")
        items: list[Code | Reject] = []
        try:
            ready, _, _ = select.select([self._fd], [], [], self._poll_interval_s)
            data = os.read(self._fd, 24 * 512) if ready else b""
        except BlockingIOError:
            data, ready = b"", []
        except OSError as err:
            raise DeviceUnavailable(f"read from {self.path}: {err.strerror}") from None
        if ready and not data:  # a vanished node (or the simulator's FIFO) reads as EOF
            raise DeviceUnavailable(f"{self.path}: end of file (unplugged)")
        if data:
            self._last_key_at = now
            for line in self._decoder.feed(data):
                items.append(Reject.GARBLED if line is None else Code(line))
        elif self._decoder.pending() and self._last_key_at is not None \
                and now - self._last_key_at > self.idle_s:
            self._decoder.reset()
            items.append(Reject.PARTIAL)
        return items

    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        data.update({"transport": "evdev", "path": self.path, "grab": self.grab})
        return data
