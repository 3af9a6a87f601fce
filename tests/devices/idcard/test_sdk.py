"""Vendor-SDK readers: the ctypes adapter against a real C library (built here with
gcc) that implements the SDT_* API over the SAM simulator's pseudo-terminal; what
both flavours (SDT_* and CVR_*) must do alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.base import DeviceState
from devices.idcard.base import CardEvent, CardFailed, CardInserted
from devices.idcard.errors import CardReadFailed
from devices.idcard.profiles import builtin_profiles
from devices.idcard.protocol import Command, Sw3
from devices.idcard.sdk import SdtReader
from devices.idcard.sdk_cvr import CvrReader
from devices.idcard.sim_model import Fault, FaultKind
from devices.idcard.simulator import SamSimulator
from devices.idcard.text import decode_text
from kiosk.clock import FakeClock
from kiosk.errors import DeviceUnavailable
from tests.devices.idcard.conftest import CVR, SDT, SdkFlavour, build_stand_in, read_and_remove

PROFILES = builtin_profiles()


AnyReader = SdtReader | CvrReader
Flavour = tuple[SdkFlavour[AnyReader], Path]
#: A test of the SDT_* flavour alone.
SDT_ONLY = pytest.mark.parametrize("flavour", [SDT], indirect=True, ids=["SDT"])


@SDT_ONLY
@pytest.mark.parametrize("key", ["resident", "elderly", "hmt_permit", "rare_astral",
                                 "foreigner_2023"])
def test_card_read_through_the_sdk(sdk: tuple[SdtReader, list[CardEvent]],
                                   sim: SamSimulator, key: str) -> None:
    p = PROFILES[key]
    assert read_and_remove(sdk, sim, p) == decode_text(
        p.text(), photo_wlt=p.photo_bytes(), appended_addresses=p.appended_addresses)
    assert sdk[0].diagnostics()["sam_id"]


def test_a_failed_read_is_a_typed_error_and_the_next_poll_reads(
        sdk: tuple[AnyReader, list[CardEvent]], sim: SamSimulator) -> None:
    r, events = sdk
    r.poll_once()
    sim.model.place(PROFILES["resident"])
    sim.model.inject(Fault(FaultKind.STATUS, command=Command.READ_TEXT_PHOTO, sw3=Sw3.READ_FAILED))
    r.poll_once()
    assert isinstance(events[-1], CardFailed)
    assert isinstance(events[-1].error, CardReadFailed)
    r.poll_once()  # the next poll reads it
    assert isinstance(events[-1], CardInserted)


def test_unplugged_reader_is_unavailable_not_a_crash(
        sdk: tuple[AnyReader, list[CardEvent]], sim: SamSimulator) -> None:
    r, _ = sdk
    r.poll_once()
    assert r.status.ready
    sim.unplug()
    r.poll_once()
    assert r.status.state is DeviceState.UNAVAILABLE


def test_missing_library_or_wrong_flavour_is_unavailable(
        tmp_path: Path, flavour: Flavour,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    kind, _ = flavour
    r = kind.reader(clock=FakeClock(), library=str(tmp_path / "libnone.so"))
    r.enable()
    r.poll_once()
    assert r.status.state is DeviceState.UNAVAILABLE
    assert "cannot load" in r.status.detail
    with pytest.raises(DeviceUnavailable, match=f"no symbol {kind.first_symbol}"):
        kind.reader(clock=FakeClock(), library="libc.so.6")._open_transport()
    other = build_stand_in(tmp_path_factory, (CVR if kind is SDT else SDT).source)
    with pytest.raises(DeviceUnavailable, match="another API flavour"):
        kind.reader(clock=FakeClock(), library=str(other))._open_transport()


def test_port_that_cannot_open_is_unavailable(flavour: Flavour,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    kind, library = flavour
    monkeypatch.setenv(kind.port_env, "/nonexistent/tty")
    r = kind.reader(clock=FakeClock(), library=str(library))
    r.enable()
    r.poll_once()
    assert r.status.state is DeviceState.UNAVAILABLE
    assert kind.closed_port in r.status.detail


@SDT_ONLY
def test_factory_builds_each_configured_driver(flavour: Flavour) -> None:
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
    sdk = make_reader(IdCardConfig(driver="sdk", sdk_library=str(flavour[1])), clock=clock)
    assert isinstance(sdk, SdtReader) and sdk.port == 1001
    assert make_reader(IdCardConfig(driver="none"), clock=clock) is None
    with pytest.raises(ValueError, match="sdk_library"):
        IdCardConfig(driver="sdk")
    with pytest.raises(ValueError, match="VID:PID"):
        IdCardConfig(driver="sam-usb", usb_ids=("0400-c35a",))
