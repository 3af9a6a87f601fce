"""The USB SAM reader: the real pyusb core and our bulk transport, against the SAM
simulator bridged onto bulk endpoints by a pyusb backend."""

from __future__ import annotations

from typing import Any

import pytest
import usb.core

from devices.base import DeviceState
from devices.idcard.base import CardEvent, CardInserted, CardRemoved
from devices.idcard.profiles import builtin_profiles
from devices.idcard.protocol import Command, SamFraming
from devices.idcard.sam import Timeouts
from devices.idcard.sam_usb import KNOWN_READERS, SamUsbReader, UsbBulkTransport, UsbId
from devices.idcard.sim_usb import EP_IN, EP_OUT, SimUsbBackend
from devices.idcard.simulator import SamSimulator
from devices.idcard.text import decode_text
from kiosk.clock import FakeClock, SystemClock
from kiosk.errors import DeviceUnavailable

PROFILES = builtin_profiles()


def make_reader(backend: Any, events: list[CardEvent] | None = None,
                clock: Any = None, **kw: Any) -> SamUsbReader:
    r = SamUsbReader(clock=clock or SystemClock(), backend=backend,
                     timeouts=Timeouts(0.3, 0.6), **kw)
    if events is not None:
        r.add_card_listener(events.append)
    r.enable()
    return r


def test_pyusb_sees_the_simulated_reader_by_vid_pid(sim: SamSimulator) -> None:
    dev = usb.core.find(idVendor=0x0400, idProduct=0xC35A, backend=SimUsbBackend(sim))
    assert dev is not None
    dev.set_configuration()
    intf = dev.get_active_configuration()[(0, 0)]
    assert [e.bEndpointAddress for e in intf] == [EP_OUT, EP_IN]
    assert usb.core.find(idVendor=0x1234, idProduct=0x5678, backend=SimUsbBackend(sim)) is None


def test_status_frame_goes_over_bulk_endpoints_byte_exact(sim: SamSimulator) -> None:
    dev = usb.core.find(idVendor=0x0400, idProduct=0xC35A, backend=SimUsbBackend(sim))
    dev.set_configuration()
    transport = UsbBulkTransport(dev, 0, EP_OUT, EP_IN, 64)
    framing = SamFraming()
    request = framing.wrap(bytes(Command.SAM_STATUS.value[:2]))
    assert request == bytes.fromhex("aaaaaa96690003 11ff ed".replace(" ", ""))
    transport.write(request)
    answer = b""
    for _ in range(20):
        answer += transport.read(64, 0.1)
        if len(answer) >= 11:
            break
    # AA AA AA 96 69, LEN 00 04, SW 00 00 90, CHK = 00^04^00^00^90
    assert answer == bytes.fromhex("aaaaaa9669000400009094")
    transport.close()


@pytest.mark.parametrize("key", ["resident", "hmt_permit", "rare_astral", "elderly"])
def test_card_placed_to_identity_over_usb(sim: SamSimulator, key: str) -> None:
    events: list[CardEvent] = []
    reader = make_reader(SimUsbBackend(sim), events)
    try:
        reader.poll_once()
        assert reader.status.state is DeviceState.READY, reader.status
        sim.model.place(PROFILES[key])
        reader.poll_once()
        assert len(events) == 1 and isinstance(events[0], CardInserted), events
        assert events[0].identity == decode_text(
            PROFILES[key].text(), photo_wlt=PROFILES[key].photo_bytes(),
            appended_addresses=PROFILES[key].appended_addresses)
        diag = reader.diagnostics()
        assert diag["transport"] == "usb" and diag["usb_id"] == "0400:c35a"
    finally:
        reader.close()


def test_unplug_is_unavailable_and_replug_recovers(sim: SamSimulator) -> None:
    clock = FakeClock()
    events: list[CardEvent] = []
    reader = make_reader(SimUsbBackend(sim), events, clock=clock)
    try:
        sim.model.place(PROFILES["resident"])
        reader.poll_once()
        assert isinstance(events[-1], CardInserted)
        sim.unplug()
        reader.poll_once()
        assert reader.status.state is DeviceState.UNAVAILABLE
        assert isinstance(events[-1], CardRemoved)
        clock.advance(1)
        reader.poll_once()  # nothing on the bus: still unavailable, no crash
        assert reader.status.state is DeviceState.UNAVAILABLE
        sim.plug()
        clock.advance(1)
        reader.poll_once()
        assert reader.status.state is DeviceState.READY
        reader.poll_once()
        assert isinstance(events[-1], CardInserted)
    finally:
        reader.close()


def test_no_device_and_no_backend_are_typed(sim: SamSimulator) -> None:
    sim.unplug()
    reader = make_reader(SimUsbBackend(sim))
    reader.poll_once()
    assert reader.status.state is DeviceState.UNAVAILABLE
    assert "0400:c35a" in reader.status.detail

    def no_backend(**_: Any) -> None:
        raise usb.core.NoBackendError("No backend available")

    other = SamUsbReader(clock=SystemClock(), find=no_backend,
                         ids=(UsbId(0x0400, 0xC35A),))
    with pytest.raises(DeviceUnavailable, match="libusb"):
        other._connect_client()
    assert KNOWN_READERS[0].vendor == 0x0400
