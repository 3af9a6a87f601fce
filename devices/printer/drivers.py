"""Transports for :class:`~devices.printer.base.ReceiptPrinter` on python-escpos.

Each driver wraps one python-escpos printer class (``Network``, ``Serial``,
``Usb``, ``File``) and supplies only the four primitives: open, close, write
(python-escpos ``_raw``) and read with a timeout. Library errors (``OSError``,
``serial.SerialException``, pyusb's ``USBError``, python-escpos' own) become
the kiosk's DeviceUnavailable / DeviceTimeout here, once.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import serial

from devices.base import resolve_path
from devices.fontchain import FontFile
from devices.printer.base import ReceiptPrinter
from devices.printer.lp import LinuxLpPrinter
from devices.printer.profile import PrinterProfile, profile_for
from devices.settings import PrinterConfig
from kiosk.clock import Clock
from kiosk.errors import DeviceTimeout, DeviceUnavailable


@contextlib.contextmanager
def _boundary(what: str) -> Iterator[None]:
    """Translate transport errors into the kiosk's error tree."""
    try:
        yield
    except (TimeoutError, serial.SerialTimeoutException) as exc:
        raise DeviceTimeout(f"{what}: timed out ({exc})") from exc
    except _escpos_error() as exc:
        raise DeviceUnavailable(f"{what}: {exc}", i18n_key="device.reason.not_found") from exc
    except (OSError, serial.SerialException, ValueError) as exc:
        raise DeviceUnavailable(f"{what}: {exc}", i18n_key="device.reason.disconnected") from exc
    except _usb_error() as exc:
        raise DeviceUnavailable(f"{what}: {exc}", i18n_key="device.reason.disconnected") from exc


def _escpos() -> Any:
    """python-escpos, imported with the first transport: its printer database and the
    imaging it pulls in cost the kiosk's first Home screen a tenth of a second."""
    import escpos.printer
    return escpos.printer


def _escpos_error() -> type[Exception]:
    import escpos.exceptions
    error: type[Exception] = escpos.exceptions.Error
    return error


def _usb_error() -> tuple[type[Exception], ...]:
    try:
        import usb.core
    except ImportError:
        return (_NoUsbError,)
    # NoBackendError: pyusb is there but libusb-1.0 is not.
    return (usb.core.USBError, usb.core.NoBackendError)


class _NoUsbError(Exception):
    """Stands for pyusb's USBError when pyusb is not installed (never raised)."""


class EscposTransport(ReceiptPrinter):
    """A python-escpos printer object as the transport. Subclasses build it."""

    def __init__(self, name: str, profile: PrinterProfile, **kw: Any) -> None:
        super().__init__(name, profile, **kw)
        self._esc: Any = None

    def _make(self) -> Any:
        raise NotImplementedError

    def _open_transport(self) -> None:
        with _boundary(f"open {self.transport_name()}"):
            esc = self._make()
            esc.open()
        self._esc = esc

    def _close_transport(self) -> None:
        esc, self._esc = self._esc, None
        if esc is not None:
            with _boundary(f"close {self.transport_name()}"):
                esc.close()

    def _write(self, data: bytes) -> None:
        if self._esc is None:
            raise DeviceUnavailable("printer not open", i18n_key="device.reason.not_opened")
        with _boundary(f"write {self.transport_name()}"):
            self._esc._raw(data)


class NetworkPrinter(EscposTransport):
    """A printer on TCP port 9100 (raw socket, "JetDirect")."""

    def __init__(self, name: str, profile: PrinterProfile, host: str, port: int = 9100,
                 **kw: Any) -> None:
        super().__init__(name, profile, **kw)
        self.host, self.port = host, port

    def _make(self) -> Any:
        return _escpos().Network(self.host, self.port, timeout=self.job_timeout_s,
                                      profile=None)

    def _open_transport(self) -> None:
        # python-escpos 3.1 Network.open() leaves the socket unclosed when connect()
        # fails; socket.create_connection closes it, and the library takes it from there.
        esc = self._make()
        with _boundary(f"open {self.transport_name()}"):
            sock = socket.create_connection((self.host, self.port), timeout=self.job_timeout_s)
            # Status queries are 3-byte writes waiting for 1-byte answers: without
            # TCP_NODELAY, Nagle and delayed ACKs add ~40 ms to each.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            esc.device = sock
        self._esc = esc

    def _read(self, timeout_s: float) -> bytes:
        if self._esc is None:
            raise DeviceUnavailable("printer not open", i18n_key="device.reason.not_opened")
        sock: socket.socket = self._esc.device
        with _boundary(f"read {self.transport_name()}"):
            sock.settimeout(max(timeout_s, 0.001))
            try:
                data = sock.recv(16)
            except TimeoutError:
                return b""
            finally:
                sock.settimeout(self.job_timeout_s)
        if not data:
            raise DeviceUnavailable("printer closed the connection",
                                    i18n_key="device.reason.disconnected")
        return data

    def transport_name(self) -> str:
        return f"tcp://{self.host}:{self.port}"


class SerialPrinter(EscposTransport):
    def __init__(self, name: str, profile: PrinterProfile, port: str, baud: int = 115200,
                 **kw: Any) -> None:
        super().__init__(name, profile, **kw)
        self.port, self.baud = port, baud

    def _make(self) -> Any:
        # dsrdtr=False: a pty (the emulator) and many USB-serial adapters have no DSR line.
        return _escpos().Serial(self.port, baudrate=self.baud, timeout=self.job_timeout_s,
                                     dsrdtr=False, profile=None)

    def _read(self, timeout_s: float) -> bytes:
        if self._esc is None:
            raise DeviceUnavailable("printer not open", i18n_key="device.reason.not_opened")
        port: serial.Serial = self._esc.device
        with _boundary(f"read {self.transport_name()}"):
            port.timeout = timeout_s
            try:
                first = port.read(1)  # blocks up to the timeout
                return bytes(first + port.read(port.in_waiting)) if first else b""
            finally:
                port.timeout = self.job_timeout_s

    def transport_name(self) -> str:
        return f"serial:{self.port}@{self.baud}"


class UsbPrinter(EscposTransport):
    """A USB printer class device through pyusb (python-escpos ``Usb``)."""

    def __init__(self, name: str, profile: PrinterProfile, vendor: int, product: int,
                 **kw: Any) -> None:
        super().__init__(name, profile, **kw)
        self.vendor, self.product = vendor, product

    def _make(self) -> Any:
        if not _escpos().Usb.is_usable():
            raise DeviceUnavailable("pyusb is not installed",
                                    i18n_key="device.reason.library_missing")
        return _escpos().Usb(self.vendor, self.product,
                                  timeout=int(self.job_timeout_s * 1000), profile=None)

    def _read(self, timeout_s: float) -> bytes:
        if self._esc is None:
            raise DeviceUnavailable("printer not open", i18n_key="device.reason.not_opened")
        dev = self._esc.device
        with _boundary(f"read {self.transport_name()}"):
            try:
                return bytes(dev.read(self._esc.in_ep, 16, int(timeout_s * 1000)))
            except _usb_error() as exc:
                if "timeout" in str(exc).lower():
                    return b""
                raise

    def transport_name(self) -> str:
        return f"usb:{self.vendor:04x}:{self.product:04x}"


class FilePrinter(EscposTransport):
    """A device file (``/dev/usb/lp0``) or a plain file: write-only, no status."""

    two_way = False

    def __init__(self, name: str, profile: PrinterProfile, path: str, **kw: Any) -> None:
        super().__init__(name, profile, **kw)
        self.path = path

    def _make(self) -> Any:
        return _escpos().File(self.path, profile=None)

    def _read(self, timeout_s: float) -> bytes:
        return b""

    def transport_name(self) -> str:
        return f"file:{self.path}"


PrinterFactory = Callable[[PrinterConfig], ReceiptPrinter | None]


def make_printer(cfg: PrinterConfig, *, clock: Clock | None = None, name: str = "printer",
                 fallback_fonts: Sequence[FontFile] = ()) -> ReceiptPrinter | None:
    """The driver the configuration names (None for ``driver: none``); not opened yet.
    ``fallback_fonts`` draw, in raster mode, what the printer's Noto face lacks."""
    profile = profile_for(cfg.paper_mm, text_charset=cfg.text_charset, native_qr=cfg.native_qr,
                          status=cfg.status and cfg.driver != "file")
    kw: dict[str, Any] = {"mode": cfg.mode, "clock": clock, "job_timeout_s": cfg.timeout_s,
                          "status_timeout_s": cfg.status_timeout_s,
                          "fallback_fonts": fallback_fonts}
    if cfg.driver == "network":
        return NetworkPrinter(name, profile, cfg.host, cfg.port, **kw)
    if cfg.driver == "serial":
        return SerialPrinter(name, profile, cfg.serial_port, cfg.baud, **kw)
    if cfg.driver == "usb":
        return UsbPrinter(name, profile, cfg.usb_vendor, cfg.usb_product, **kw)
    if cfg.driver == "lp":
        return LinuxLpPrinter(name, profile, str(resolve_path(cfg.lp_path)), **kw)
    if cfg.driver == "file":
        return FilePrinter(name, profile, str(resolve_path(cfg.file_path)), **kw)
    return None
