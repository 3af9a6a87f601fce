"""The 华视 CVR_* flavour of the vendor-SDK reader: the ctypes adapter against a real C
library (built here with gcc, sharing the SAM link with the SDT stand-in) that
implements the CVR API over the SAM simulator's pseudo-terminal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.base import DeviceState
from devices.idcard.base import CardEvent, CardFailed, CardInserted, CardRemoved
from devices.idcard.errors import CardReadFailed, UnknownCardType
from devices.idcard.profiles import builtin_profiles
from devices.idcard.protocol import Command, Sw3
from devices.idcard.sdk_cvr import CvrReader
from devices.idcard.sim_model import Fault, FaultKind
from devices.idcard.simulator import SamSimulator
from devices.idcard.text import decode_text
from kiosk.clock import FakeClock
from kiosk.errors import DeviceUnavailable
from tests.devices.idcard.conftest import build_stand_in

PROFILES = builtin_profiles()


@pytest.fixture(scope="module")
def cvr_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_stand_in(tmp_path_factory, "cvrapi_sim.c")


@pytest.fixture
def reader(cvr_library: Path, sim: SamSimulator, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[tuple[CvrReader, list[CardEvent]]]:
    monkeypatch.setenv("CVR_SIM_PORT", sim.port)
    events: list[CardEvent] = []
    r = CvrReader(clock=FakeClock(), library=str(cvr_library), port=1001)
    r.add_card_listener(events.append)
    r.enable()
    yield r, events
    r.close()


@pytest.mark.parametrize("key", ["resident", "elderly", "long_term", "minority", "rare_bmp",
                                 "rare_astral"])
def test_card_read_through_the_cvr_api(reader: tuple[CvrReader, list[CardEvent]],
                                       sim: SamSimulator, key: str) -> None:
    r, events = reader
    r.poll_once()
    assert r.status.state is DeviceState.READY, r.status
    sim.model.place(PROFILES[key])
    r.poll_once()
    assert len(events) == 1 and isinstance(events[0], CardInserted), events
    want = decode_text(PROFILES[key].text())
    got = events[0].identity
    # the CVR API gives the fields as text (男, 汉): the same identity comes back
    for field in ("card_type", "name", "id_number", "sex", "nation", "birth", "address",
                  "authority", "valid_from", "valid_to", "long_term"):
        assert getattr(got, field) == getattr(want, field), field
    assert got.photo_wlt == b"" and got.photo_bmp == b""  # filler, not a picture
    sim.model.remove()
    r.poll_once()
    assert isinstance(events[-1], CardRemoved)
    assert r.diagnostics()["api"] == "CVR"


def test_the_librarys_own_photo_is_the_decoded_photo(
        reader: tuple[CvrReader, list[CardEvent]], sim: SamSimulator) -> None:
    from dataclasses import replace
    r, events = reader
    r.poll_once()
    jpeg = b"\xff\xd8\xff\xe0" + b"face" * 100
    sim.model.place(replace(PROFILES["resident"], photo=jpeg))
    r.poll_once()
    assert isinstance(events[-1], CardInserted)
    assert events[-1].identity.photo_bmp.startswith(jpeg)


def test_a_failed_read_is_a_typed_error_and_the_next_poll_reads(
        reader: tuple[CvrReader, list[CardEvent]], sim: SamSimulator) -> None:
    r, events = reader
    r.poll_once()
    sim.model.place(PROFILES["resident"])
    sim.model.inject(Fault(FaultKind.STATUS, command=Command.READ_TEXT_PHOTO,
                           sw3=Sw3.READ_FAILED))
    r.poll_once()
    assert isinstance(events[-1], CardFailed)
    assert isinstance(events[-1].error, CardReadFailed)
    r.poll_once()
    assert isinstance(events[-1], CardInserted)


def test_permits_are_refused_with_the_reason(reader: tuple[CvrReader, list[CardEvent]],
                                             sim: SamSimulator) -> None:
    r, events = reader
    r.poll_once()
    sim.model.place(PROFILES["hmt_permit"])
    for _ in range(4):  # the reader's own retries, then the final failure
        r.poll_once()
    failed = [e for e in events if isinstance(e, CardFailed)]
    assert failed and isinstance(failed[-1].error, UnknownCardType)
    assert "resident cards only" in str(failed[-1].error)


def test_unplugged_reader_is_unavailable_not_a_crash(
        reader: tuple[CvrReader, list[CardEvent]], sim: SamSimulator) -> None:
    r, _ = reader
    r.poll_once()
    assert r.status.ready
    sim.unplug()
    r.poll_once()
    assert r.status.state is DeviceState.UNAVAILABLE


def test_missing_library_or_wrong_flavour_is_unavailable(
        tmp_path: Path, cvr_library: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    r = CvrReader(clock=FakeClock(), library=str(tmp_path / "libnone.so"))
    r.enable()
    r.poll_once()
    assert r.status.state is DeviceState.UNAVAILABLE and "cannot load" in r.status.detail
    with pytest.raises(DeviceUnavailable, match="no symbol CVR_InitComm"):
        CvrReader(clock=FakeClock(), library="libc.so.6")._open_transport()
    out = build_stand_in(tmp_path_factory, "sdtapi_sim.c")
    with pytest.raises(DeviceUnavailable, match="another API flavour"):
        CvrReader(clock=FakeClock(), library=str(out))._open_transport()


def test_port_that_cannot_open_is_unavailable(cvr_library: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CVR_SIM_PORT", "/nonexistent/tty")
    r = CvrReader(clock=FakeClock(), library=str(cvr_library))
    r.enable()
    r.poll_once()
    assert r.status.state is DeviceState.UNAVAILABLE
    assert "port could not be opened (code 2)" in r.status.detail


def test_factory_builds_the_cvr_flavour(cvr_library: Path) -> None:
    from devices.idcard.factory import make_reader
    from devices.settings import IdCardConfig

    reader = make_reader(IdCardConfig(driver="sdk", sdk_flavour="cvr",
                                      sdk_library=str(cvr_library), sdk_port=1002),
                         clock=FakeClock())
    assert isinstance(reader, CvrReader) and reader.port == 1002
    with pytest.raises(ValueError):
        IdCardConfig(driver="sdk", sdk_flavour="huashi", sdk_library="x")  # type: ignore[arg-type]
