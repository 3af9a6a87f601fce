"""The 二代证 SAM reader on a serial port (USB-serial or RS-232), through pyserial.

This driver only supplies primitives: a byte transport over pyserial and the
port search; :class:`devices.idcard.sam.SamClient` speaks the protocol and
:class:`devices.idcard.base.IdCardReader` owns the behaviour.

``port: auto`` probes ``/dev/ttyUSB*``, ``/dev/ttyACM*`` and ``/dev/ttyS*`` (in
that order, USB adapters first because that is how these readers ship) with a
SAM status command and keeps the first port that answers; the port found is
tried first when the reader is reopened after an unplug. Probing writes ten
bytes to each candidate port, so a site with other serial devices should set
the port explicitly.

``serial.SerialException`` and ``OSError`` become ``DeviceUnavailable`` here,
once; nothing else from pyserial escapes.
"""

from __future__ import annotations

import contextlib
import glob
import termios
from collections.abc import Callable
from typing import Any

import serial

from devices.base import resolve_path
from devices.idcard.photo import PhotoDecoder, make_photo_decoder
from devices.idcard.sam import SamClient, SamReader, Timeouts
from devices.settings import IdCardConfig
from kiosk.clock import Clock
from kiosk.errors import DeviceError, DeviceUnavailable, KioskError

PROBE_GLOBS = ("/dev/ttyUSB*", "/dev/ttyACM*", "/dev/ttyS*")
PortFactory = Callable[[str, int], serial.Serial]
#: What pyserial lets escape when the device vanishes: its own exception, OSError
#: from os.read/write, and termios.error (not an OSError) from tcflush/tcsetattr.
_PORT_ERRORS = (serial.SerialException, OSError, termios.error)


def open_serial(path: str, baud: int) -> serial.Serial:
    """8N1, no flow control, exclusive: the SAM reader's line settings."""
    return serial.Serial(path, baud, bytesize=serial.EIGHTBITS, parity=serial.PARITY_NONE,
                         stopbits=serial.STOPBITS_ONE, timeout=0.1, write_timeout=1.0,
                         exclusive=True)


def candidate_ports(globber: Callable[[str], list[str]] = glob.glob) -> list[str]:
    ports: list[str] = []
    for pattern in PROBE_GLOBS:
        ports += sorted(globber(pattern))
    return ports


class SerialTransport:
    """pyserial as a :class:`devices.idcard.sam.ByteTransport`."""

    def __init__(self, port: serial.Serial) -> None:
        self.port = port
        self._timeout: float | None = None

    def write(self, data: bytes) -> None:
        try:
            self.port.write(data)
        except _PORT_ERRORS as err:
            raise DeviceUnavailable(f"write to {self.port.port}: {err}") from None

    def read(self, size: int, timeout: float) -> bytes:
        try:
            # Setting the timeout reconfigures the port: only when it really changes.
            t = round(timeout, 2)
            if t != self._timeout:
                self.port.timeout = max(t, 0.01)
                self._timeout = t
            return bytes(self.port.read(size))
        except _PORT_ERRORS as err:
            raise DeviceUnavailable(f"read from {self.port.port}: {err}") from None

    def discard_input(self) -> None:
        try:
            self.port.reset_input_buffer()
        except _PORT_ERRORS as err:
            raise DeviceUnavailable(f"flush {self.port.port}: {err}") from None

    def close(self) -> None:
        # Closing a port that vanished: nothing is left to release.
        with contextlib.suppress(*_PORT_ERRORS):
            self.port.close()


class SamSerialReader(SamReader):
    def __init__(self, name: str = "idcard", *, clock: Clock, port: str = "auto",
                 baud: int = 115200, timeouts: Timeouts | None = None, retries: int = 2,
                 port_factory: PortFactory = open_serial,
                 list_ports: Callable[[], list[str]] = candidate_ports,
                 read_fingerprint: bool = False, **base: Any) -> None:
        super().__init__(name, clock=clock, **base)
        self.port = port
        self.baud = baud
        self.timeouts = timeouts or Timeouts()
        self.retries = retries
        self.read_fingerprint = read_fingerprint
        self._port_factory = port_factory
        self._list_ports = list_ports
        self.found_port: str = ""

    @classmethod
    def from_config(cls, config: IdCardConfig, *, clock: Clock,
                    port_factory: PortFactory = open_serial,
                    photo_decoder: PhotoDecoder | None = None) -> SamSerialReader:
        port = config.port if config.port == "auto" else str(resolve_path(config.port))
        return cls(clock=clock, port=port, baud=config.baud,
                   timeouts=Timeouts(config.find_timeout_s, config.read_timeout_s),
                   port_factory=port_factory, poll_interval_s=config.poll_interval_s,
                   photo_decoder=photo_decoder or make_photo_decoder(config.photo_decoder))

    # -- the one primitive left: find the port and a SAM on it -------------------------
    def _connect_client(self) -> SamClient:
        return self.connect()

    def connect(self) -> SamClient:
        """Open the port (probing for ``auto``) and check that a SAM answers.

        The caller owns the returned client (``diagnose`` uses it step by step).
        """
        if self.port != "auto":
            self.found_port = self.port
            return self._connect(self.port, self.timeouts, self.retries)
        return self._probe()

    def _connect(self, path: str, timeouts: Timeouts, retries: int) -> SamClient:
        try:
            port = self._port_factory(path, self.baud)
        except (*_PORT_ERRORS, ValueError) as err:
            raise DeviceUnavailable(f"open {path}: {err}") from None
        client = SamClient(SerialTransport(port), clock=self._clock, timeouts=timeouts,
                           retries=retries, capabilities=self.capabilities)
        try:
            client.status()
        except KioskError:
            client.transport.close()
            raise
        return client

    def _probe(self) -> SamClient:
        candidates = self._list_ports()
        if self.found_port in candidates:
            candidates.remove(self.found_port)
            candidates.insert(0, self.found_port)
        quick = Timeouts(self.timeouts.short_s, self.timeouts.short_s)
        tried: list[str] = []
        for path in candidates:
            try:
                client = self._connect(path, quick, retries=0)
            except DeviceError:
                tried.append(path)
                continue
            client.timeouts, client.retries = self.timeouts, self.retries
            self.found_port = path
            return client
        raise DeviceUnavailable(f"no SAM answered on {', '.join(tried) or 'any port'}")

    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        data.update({"port": self.found_port or self.port, "baud": self.baud})
        return data
