"""The 二代证 SAM reader on USB bulk endpoints, through pyusb.

Many hall readers (the 精伦 iDR200 class, VID:PID 0400:C35A) carry the very same
GA/T 467 frames as the serial ones, over a vendor-class interface with one bulk
OUT and one bulk IN endpoint instead of a UART. So this driver only supplies the
byte transport and how to find the device; :class:`devices.idcard.sam.SamClient`
speaks the protocol and :class:`devices.idcard.base.IdCardReader` owns the
behaviour (polling, hot-plug, retries) exactly as for the serial reader.

* **Finding it.** By VID:PID (defaults for the known readers, or configured);
  the interface and endpoints are configurable, else the first bulk OUT/IN pair
  of the interface is used. A kernel driver bound to the interface is detached.
* **Reads.** USB delivers whole packets; the transport keeps what it received
  beyond what the caller asked for, so frame boundaries never matter. A bulk read
  that times out is "nothing yet", as on a serial line.
* **Errors typed once.** ``usb.core.USBError`` for a vanished device (ENODEV,
  EIO, EPIPE) becomes ``DeviceUnavailable`` here; pyusb finding no backend
  (libusb missing) does too, with the reason.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import usb.core
import usb.util

from devices.idcard.sam import SamClient, SamReader, Timeouts
from kiosk.errors import DeviceUnavailable, KioskError


@dataclass(frozen=True)
class UsbId:
    vendor: int
    product: int
    name: str = ""

    def __str__(self) -> str:
        return f"{self.vendor:04x}:{self.product:04x}"


#: Readers known to carry SAM frames on bulk endpoints (VID:PID seen in public code).
KNOWN_READERS = (UsbId(0x0400, 0xC35A, "精伦 iDR200-class"),)

Finder = Callable[..., Any]


class UsbBulkTransport:
    """A pyusb device's bulk endpoint pair as a :class:`devices.idcard.sam.ByteTransport`."""

    def __init__(self, device: Any, interface: int, ep_out: int, ep_in: int,
                 packet_size: int = 64) -> None:
        self.device = device
        self.interface = interface
        self.ep_out, self.ep_in = ep_out, ep_in
        self.packet_size = max(packet_size, 8)
        self._pending = bytearray()

    def write(self, data: bytes) -> None:
        try:
            sent = self.device.write(self.ep_out, data, timeout=1000)
        except usb.core.USBError as err:
            raise DeviceUnavailable(f"USB write to {self._where()}: {err}") from None
        if sent != len(data):
            raise DeviceUnavailable(f"USB write to {self._where()}: {sent} of {len(data)} bytes")

    def read(self, size: int, timeout: float) -> bytes:
        if not self._pending:
            self._pending += self._read_packet(max(1, round(timeout * 1000)))
        out = bytes(self._pending[:size])
        del self._pending[:size]
        return out

    def discard_input(self) -> None:
        self._pending.clear()
        for _ in range(64):  # bounded: a babbling device must not hang the reader
            if not self._read_packet(1):
                return

    def close(self) -> None:
        # a device that vanished holds nothing to release
        with contextlib.suppress(usb.core.USBError):
            usb.util.release_interface(self.device, self.interface)
        usb.util.dispose_resources(self.device)

    def _read_packet(self, timeout_ms: int) -> bytes:
        try:
            return bytes(self.device.read(self.ep_in, self.packet_size * 32, timeout=timeout_ms))
        except usb.core.USBTimeoutError:
            return b""
        except usb.core.USBError as err:
            if err.errno == errno.ETIMEDOUT:
                return b""
            raise DeviceUnavailable(f"USB read from {self._where()}: {err}") from None

    def _where(self) -> str:
        dev = self.device
        return f"{getattr(dev, 'idVendor', 0):04x}:{getattr(dev, 'idProduct', 0):04x}"


def _bulk_pair(intf: Any) -> tuple[int, int, int]:
    out_ep = usb.util.find_descriptor(intf, custom_match=lambda e: (
        usb.util.endpoint_type(e.bmAttributes) == usb.util.ENDPOINT_TYPE_BULK
        and usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_OUT))
    in_ep = usb.util.find_descriptor(intf, custom_match=lambda e: (
        usb.util.endpoint_type(e.bmAttributes) == usb.util.ENDPOINT_TYPE_BULK
        and usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_IN))
    if out_ep is None or in_ep is None:
        raise DeviceUnavailable(f"interface {intf.bInterfaceNumber} has no bulk OUT/IN pair")
    return out_ep.bEndpointAddress, in_ep.bEndpointAddress, in_ep.wMaxPacketSize


class SamUsbReader(SamReader):
    """A SAM reader found by VID:PID on the USB bus."""

    def __init__(self, name: str = "idcard", *, ids: tuple[UsbId, ...] = KNOWN_READERS,
                 interface: int = 0, ep_out: int | None = None, ep_in: int | None = None,
                 timeouts: Timeouts | None = None, retries: int = 2,
                 backend: Any = None, find: Finder = usb.core.find, **base: Any) -> None:
        super().__init__(name, **base)
        self.ids = ids
        self.interface = interface
        self.ep_out, self.ep_in = ep_out, ep_in
        self.timeouts = timeouts or Timeouts()
        self.retries = retries
        self._backend = backend
        self._find = find
        self.found: UsbId | None = None

    def _connect_client(self) -> SamClient:
        device, found = self._locate()
        transport = self._claim(device)
        client = SamClient(transport, clock=self._clock, timeouts=self.timeouts,
                           retries=self.retries)
        try:
            client.status()
        except KioskError:
            transport.close()
            raise
        self.found = found
        return client

    def _locate(self) -> tuple[Any, UsbId]:
        for uid in self.ids:
            try:
                device = self._find(idVendor=uid.vendor, idProduct=uid.product,
                                    backend=self._backend)
            except usb.core.NoBackendError as err:
                raise DeviceUnavailable(f"no USB backend ({err}); install libusb-1.0-0") from None
            except usb.core.USBError as err:
                raise DeviceUnavailable(f"USB bus: {err}") from None
            if device is not None:
                return device, uid
        raise DeviceUnavailable("no USB SAM reader (" + ", ".join(map(str, self.ids)) + ")")

    def _claim(self, device: Any) -> UsbBulkTransport:
        try:
            try:
                if device.is_kernel_driver_active(self.interface):
                    device.detach_kernel_driver(self.interface)
            except NotImplementedError:
                pass  # backends without kernel drivers (and the simulator's) say so
            device.set_configuration()
            intf = device.get_active_configuration()[(self.interface, 0)]
            ep_out, ep_in, packet = _bulk_pair(intf)
            usb.util.claim_interface(device, self.interface)
        except usb.core.USBError as err:
            raise DeviceUnavailable(f"USB reader {device.idVendor:04x}:{device.idProduct:04x}: "
                                    f"{err}") from None
        return UsbBulkTransport(device, self.interface, self.ep_out or ep_out,
                                self.ep_in or ep_in, packet)

    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        data.update({"transport": "usb", "usb_id": str(self.found) if self.found else "",
                     "reader": self.found.name if self.found else ""})
        return data
