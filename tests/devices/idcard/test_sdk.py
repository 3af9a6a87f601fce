"""Vendor-SDK readers: the ctypes adapter against a real C library (built here with
gcc) that implements the SDT_* API over the SAM simulator's pseudo-terminal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.base import DeviceState
from devices.idcard.base import CardEvent, CardFailed, CardInserted, CardRemoved
from devices.idcard.profiles import builtin_profiles
from devices.idcard.protocol import Command, Sw3
from devices.idcard.sdk import SdtReader
from devices.idcard.sim_model import Fault, FaultKind
from devices.idcard.simulator import SamSimulator
from devices.idcard.text import decode_text
from kiosk.clock import FakeClock
from kiosk.errors import DeviceUnavailable
from tests.devices.idcard.conftest import build_stand_in

PROFILES = builtin_profiles()


@pytest.fixture(scope="module")
def sdk_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_stand_in(tmp_path_factory, "sdtapi_sim.c")


@pytest.fixture
def reader(sdk_library: Path, sim: SamSimulator, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[tuple[SdtReader, list[CardEvent]]]:
    monkeypatch.setenv("SDT_SIM_PORT", sim.port)
    events: list[CardEvent] = []
    r = SdtReader(clock=FakeClock(), library=str(sdk_library), port=1001)
    r.add_card_listener(events.append)
    r.enable()
    yield r, events
    r.close()


@pytest.mark.parametrize("key", ["resident", "elderly", "hmt_permit", "rare_astral",
                                 "foreigner_2023"])
def test_card_read_through_the_sdk(reader: tuple[SdtReader, list[CardEvent]],
                                   sim: SamSimulator, key: str) -> None:
    r, events = reader
    r.poll_once()
    assert r.status.state is DeviceState.READY, r.status
    sim.model.place(PROFILES[key])
    r.poll_once()
    assert len(events) == 1 and isinstance(events[0], CardInserted), events
    p = PROFILES[key]
    assert events[0].identity == decode_text(p.text(), photo_wlt=p.photo_bytes(),
                                             appended_addresses=p.appended_addresses)
    sim.model.remove()
    r.poll_once()
    assert isinstance(events[-1], CardRemoved)
    assert r.diagnostics()["sam_id"]


def test_sam_failure_codes_become_typed_reader_states(
        reader: tuple[SdtReader, list[CardEvent]], sim: SamSimulator) -> None:
    r, events = reader
    r.poll_once()
    sim.model.place(PROFILES["resident"])
    sim.model.inject(Fault(FaultKind.STATUS, command=Command.READ_TEXT_PHOTO, sw3=Sw3.READ_FAILED))
    r.poll_once()
    assert isinstance(events[-1], CardFailed)
    r.poll_once()  # the next poll reads it
    assert isinstance(events[-1], CardInserted)


def test_unplugged_reader_is_unavailable_not_a_crash(
        reader: tuple[SdtReader, list[CardEvent]], sim: SamSimulator) -> None:
    r, _ = reader
    r.poll_once()
    assert r.status.ready
    sim.unplug()
    r.poll_once()
    assert r.status.state is DeviceState.UNAVAILABLE


def test_missing_library_or_wrong_flavour_is_unavailable(tmp_path: Path) -> None:
    r = SdtReader(clock=FakeClock(), library=str(tmp_path / "libnone.so"))
    r.enable()
    r.poll_once()
    assert r.status.state is DeviceState.UNAVAILABLE
    assert "cannot load" in r.status.detail
    with pytest.raises(DeviceUnavailable, match="no symbol SDT_OpenPort"):
        SdtReader(clock=FakeClock(), library="libc.so.6")._open_transport()


def test_port_that_cannot_open_is_unavailable(sdk_library: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDT_SIM_PORT", "/nonexistent/tty")
    r = SdtReader(clock=FakeClock(), library=str(sdk_library))
    r.enable()
    r.poll_once()
    assert r.status.state is DeviceState.UNAVAILABLE
    assert "port could not be opened" in r.status.detail


def test_factory_builds_each_configured_driver(sdk_library: Path) -> None:
    from devices.idcard.factory import make_reader
    from devices.idcard.sam_serial import SamSerialReader
    from devices.idcard.sam_usb import SamUsbReader
    from devices.settings import IdCardConfig

    clock = FakeClock()
    assert isinstance(make_reader(IdCardConfig(), clock=clock), SamSerialReader)
    usb = make_reader(IdCardConfig(driver="sam-usb", usb_ids=("0400:c35a", "1234:ABCD")),
                      clock=clock)
    assert isinstance(usb, SamUsbReader)
    assert [str(u) for u in usb.ids] == ["0400:c35a", "1234:abcd"]
    sdk = make_reader(IdCardConfig(driver="sdk", sdk_library=str(sdk_library)), clock=clock)
    assert isinstance(sdk, SdtReader) and sdk.port == 1001
    assert make_reader(IdCardConfig(driver="none"), clock=clock) is None
    with pytest.raises(ValueError, match="sdk_library"):
        IdCardConfig(driver="sdk")
    with pytest.raises(ValueError, match="VID:PID"):
        IdCardConfig(driver="sam-usb", usb_ids=("0400-c35a",))
