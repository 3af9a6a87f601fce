"""The 华视 CVR_* flavour of the vendor-SDK reader: the ctypes adapter against a real C
library (built here with gcc, sharing the SAM link with the SDT stand-in) that
implements the CVR API over the SAM simulator's pseudo-terminal. What both flavours
do alike (failed reads, unplugging, a missing library, a port that does not open) is
tested in test_sdk.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.idcard.base import CardEvent, CardFailed, CardInserted
from devices.idcard.errors import UnknownCardType
from devices.idcard.profiles import builtin_profiles
from devices.idcard.sdk_cvr import CvrReader
from devices.idcard.simulator import SamSimulator
from devices.idcard.text import decode_text
from kiosk.clock import FakeClock
from tests.devices.idcard.conftest import CVR, read_and_remove

PROFILES = builtin_profiles()
pytestmark = pytest.mark.parametrize("flavour", [CVR], indirect=True, ids=["CVR"])


@pytest.mark.parametrize("key", ["resident", "elderly", "long_term", "minority", "rare_bmp",
                                 "rare_astral"])
def test_card_read_through_the_cvr_api(sdk: tuple[CvrReader, list[CardEvent]],
                                       sim: SamSimulator, key: str) -> None:
    got = read_and_remove(sdk, sim, PROFILES[key])
    want = decode_text(PROFILES[key].text())
    # the CVR API gives the fields as text (男, 汉): the same identity comes back
    for field in ("card_type", "name", "id_number", "sex", "nation", "birth", "address",
                  "authority", "valid_from", "valid_to", "long_term"):
        assert getattr(got, field) == getattr(want, field), field
    assert got.photo_wlt == b"" and got.photo_bmp == b""  # filler, not a picture
    assert sdk[0].diagnostics()["api"] == "CVR"


def test_the_librarys_own_photo_is_the_decoded_photo(
        sdk: tuple[CvrReader, list[CardEvent]], sim: SamSimulator) -> None:
    from dataclasses import replace
    r, events = sdk
    r.poll_once()
    jpeg = b"\xff\xd8\xff\xe0" + b"face" * 100
    sim.model.place(replace(PROFILES["resident"], photo=jpeg))
    r.poll_once()
    assert isinstance(events[-1], CardInserted)
    assert events[-1].identity.photo_bmp.startswith(jpeg)


def test_permits_are_refused_with_the_reason(sdk: tuple[CvrReader, list[CardEvent]],
                                             sim: SamSimulator) -> None:
    r, events = sdk
    r.poll_once()
    sim.model.place(PROFILES["hmt_permit"])
    for _ in range(4):  # the reader's own retries, then the final failure
        r.poll_once()
    failed = [e for e in events if isinstance(e, CardFailed)]
    assert failed and isinstance(failed[-1].error, UnknownCardType)
    assert "resident cards only" in str(failed[-1].error)


def test_factory_builds_the_cvr_flavour(flavour: tuple[object, Path]) -> None:
    from devices.idcard.factory import make_reader
    from devices.settings import IdCardConfig

    reader = make_reader(IdCardConfig(driver="sdk", sdk_flavour="cvr",
                                      sdk_library=str(flavour[1]), sdk_port=1002),
                         clock=FakeClock())
    assert isinstance(reader, CvrReader) and reader.port == 1002
    with pytest.raises(ValueError):
        IdCardConfig(driver="sdk", sdk_flavour="huashi", sdk_library="x")  # type: ignore[arg-type]
