"""A pyusb backend that puts the SAM simulator behind USB bulk endpoints.

``usb.core.find(backend=SimUsbBackend(sim))`` enumerates one vendor-class device
with one interface and a bulk OUT/IN endpoint pair; bulk transfers are bridged to
the simulator's pseudo-terminal, so the real pyusb core (descriptor parsing,
endpoint lookup, claiming, timeouts) and our USB transport run in tests and in
the simulated terminal, exactly as over libusb. While the simulator is unplugged
the bus is empty and transfers fail with ENODEV, as a pulled reader does.
"""

from __future__ import annotations

import array
import errno
import os
import select
import threading
from dataclasses import dataclass, field
from typing import Any

import usb.backend
import usb.core

from devices.idcard.sam_usb import KNOWN_READERS, UsbId
from devices.idcard.simulator import SamSimulator

EP_OUT, EP_IN, PACKET = 0x02, 0x82, 64
_BULK = 0x02


@dataclass
class _Descriptor:
    """Attributes pyusb reads from a backend's descriptors (USB 2.0 §9.6)."""

    values: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None


def _device_descriptor(uid: UsbId, address: int) -> _Descriptor:
    return _Descriptor({
        "bLength": 18, "bDescriptorType": 1, "bcdUSB": 0x0200, "bDeviceClass": 0,
        "bDeviceSubClass": 0, "bDeviceProtocol": 0, "bMaxPacketSize0": 64,
        "idVendor": uid.vendor, "idProduct": uid.product, "bcdDevice": 0x0100,
        "iManufacturer": 0, "iProduct": 0, "iSerialNumber": 0, "bNumConfigurations": 1,
        "address": address, "bus": 1, "port_number": 1, "port_numbers": (1,),
        "speed": 3})


_CONFIG = _Descriptor({
    "bLength": 9, "bDescriptorType": 2, "wTotalLength": 32, "bNumInterfaces": 1,
    "bConfigurationValue": 1, "iConfiguration": 0, "bmAttributes": 0x80, "bMaxPower": 50,
    "extra_descriptors": []})
_INTERFACE = _Descriptor({
    "bLength": 9, "bDescriptorType": 4, "bInterfaceNumber": 0, "bAlternateSetting": 0,
    "bNumEndpoints": 2, "bInterfaceClass": 0xFF, "bInterfaceSubClass": 0,
    "bInterfaceProtocol": 0, "iInterface": 0, "extra_descriptors": []})
_ENDPOINTS = (
    _Descriptor({"bLength": 7, "bDescriptorType": 5, "bEndpointAddress": EP_OUT,
                 "bmAttributes": _BULK, "wMaxPacketSize": PACKET, "bInterval": 0,
                 "bRefresh": 0, "bSynchAddress": 0, "extra_descriptors": []}),
    _Descriptor({"bLength": 7, "bDescriptorType": 5, "bEndpointAddress": EP_IN,
                 "bmAttributes": _BULK, "wMaxPacketSize": PACKET, "bInterval": 0,
                 "bRefresh": 0, "bSynchAddress": 0, "extra_descriptors": []}),
)


def _gone() -> usb.core.USBError:
    return usb.core.USBError("No such device (it may have been disconnected)", -4, errno.ENODEV)


class _Handle:
    """An opened device: the pty slave of the plug it was opened on."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self.lock = threading.Lock()
        self.claimed: set[int] = set()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class SimUsbBackend(usb.backend.IBackend):  # type: ignore[misc]
    """One simulated reader on a one-device bus."""

    def __init__(self, sim: SamSimulator, uid: UsbId = KNOWN_READERS[0]) -> None:
        self.sim = sim
        self.uid = uid
        self.plugs = 0
        self._seen_path = ""

    # -- enumeration ---------------------------------------------------------
    def enumerate_devices(self) -> Any:
        if self.sim.plugged:
            if self.sim.slave_path != self._seen_path:  # a replug gets a new address
                self._seen_path = self.sim.slave_path
                self.plugs += 1
            yield self.sim.slave_path

    def get_parent(self, dev: Any) -> None:
        return None

    def get_device_descriptor(self, dev: Any) -> _Descriptor:
        return _device_descriptor(self.uid, address=1 + self.plugs % 127)

    def get_configuration_descriptor(self, dev: Any, config: int) -> _Descriptor:
        if config != 0:
            raise IndexError(config)
        return _CONFIG

    def get_interface_descriptor(self, dev: Any, intf: int, alt: int, config: int) -> _Descriptor:
        if (intf, alt, config) != (0, 0, 0):
            raise IndexError(intf)
        return _INTERFACE

    def get_endpoint_descriptor(self, dev: Any, ep: int, intf: int, alt: int,
                                config: int) -> _Descriptor:
        if (intf, alt, config) != (0, 0, 0) or not 0 <= ep < len(_ENDPOINTS):
            raise IndexError(ep)
        return _ENDPOINTS[ep]

    # -- handles -------------------------------------------------------------
    def open_device(self, dev: Any) -> _Handle:
        if not self.sim.plugged or self.sim.slave_path != dev:
            raise _gone()
        try:
            return _Handle(dev)
        except OSError:
            raise _gone() from None

    def close_device(self, dev_handle: _Handle) -> None:
        dev_handle.close()

    def set_configuration(self, dev_handle: _Handle, config_value: int) -> None:
        self._alive(dev_handle)

    def get_configuration(self, dev_handle: _Handle) -> int:
        self._alive(dev_handle)
        return 1

    def set_interface_altsetting(self, dev_handle: _Handle, intf: int, altsetting: int) -> None:
        self._alive(dev_handle)

    def claim_interface(self, dev_handle: _Handle, intf: int) -> None:
        self._alive(dev_handle)
        dev_handle.claimed.add(intf)

    def release_interface(self, dev_handle: _Handle, intf: int) -> None:
        dev_handle.claimed.discard(intf)

    def is_kernel_driver_active(self, dev_handle: _Handle, intf: int) -> bool:
        return False

    def detach_kernel_driver(self, dev_handle: _Handle, intf: int) -> None:
        return None

    # -- transfers -----------------------------------------------------------
    def bulk_write(self, dev_handle: _Handle, ep: int, intf: int, data: array.array[int],
                   timeout: int) -> int:
        self._alive(dev_handle)
        if ep != EP_OUT or intf not in dev_handle.claimed:
            raise usb.core.USBError("Pipe error", -9, errno.EPIPE)
        payload = bytes(data)
        with dev_handle.lock:
            try:
                os.write(dev_handle.fd, payload)
            except OSError:
                raise _gone() from None
        return len(payload)

    def bulk_read(self, dev_handle: _Handle, ep: int, intf: int, buff: array.array[int],
                  timeout: int) -> int:
        self._alive(dev_handle)
        if ep != EP_IN or intf not in dev_handle.claimed:
            raise usb.core.USBError("Pipe error", -9, errno.EPIPE)
        # (usb.core.USBError is an OSError: raise it outside the try)
        try:
            ready, _, _ = select.select([dev_handle.fd], [], [], max(timeout, 1) / 1000)
            chunk = os.read(dev_handle.fd, len(buff)) if ready else None
        except OSError:
            raise _gone() from None
        if chunk is None:
            raise usb.core.USBTimeoutError("Operation timed out", -7, errno.ETIMEDOUT)
        if not chunk:
            raise _gone()
        buff[:len(chunk)] = array.array("B", chunk)
        return len(chunk)

    def ctrl_transfer(self, dev_handle: _Handle, bmRequestType: int, bRequest: int,
                      wValue: int, wIndex: int, data: Any, timeout: int) -> int:
        self._alive(dev_handle)
        return 0

    def clear_halt(self, dev_handle: _Handle, ep: int) -> None:
        self._alive(dev_handle)

    def reset_device(self, dev_handle: _Handle) -> None:
        self._alive(dev_handle)

    def _alive(self, dev_handle: _Handle) -> None:
        if dev_handle.fd < 0 or not self.sim.plugged:
            raise _gone()
