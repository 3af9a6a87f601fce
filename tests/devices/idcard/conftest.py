"""Fixtures: the SAM simulator on a real pty, behind a stable symlink; the vendor-SDK
stand-ins built with gcc and the readers of both SDK flavours on them."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import pytest

from devices.base import DeviceState
from devices.idcard.base import CardEvent, CardInserted, CardRemoved
from devices.idcard.profiles import CardProfile
from devices.idcard.sdk import SdtReader
from devices.idcard.sdk_cvr import CvrReader
from devices.idcard.simulator import SamSimulator
from devices.identity import Identity
from kiosk.clock import FakeClock


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SamSimulator]:
    with SamSimulator(tmp_path / "idcard-tty", baud=115200) as simulator:
        yield simulator


#: The C stand-ins of the vendor SDKs (they speak GA/T 467 to the simulator's pty).
SDK_SIM = Path(__file__).resolve().parents[3] / "devices" / "idcard" / "sdk_sim"


def build_stand_in(tmp_path_factory: pytest.TempPathFactory, source: str) -> Path:
    """``sdk_sim/<source>`` built into a shared library (skips without gcc)."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed")
    out = tmp_path_factory.mktemp("sdk") / f"lib{Path(source).stem}.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", str(out),
                    str(SDK_SIM / source)], check=True)
    return out


R = TypeVar("R", SdtReader, CvrReader)


@dataclass(frozen=True)
class SdkFlavour(Generic[R]):
    """A vendor-SDK reader, its C stand-in, the variable that points the stand-in at
    the simulator's pty, a function the library must have and what a port that does
    not open reads as."""

    reader: type[R]
    source: str
    port_env: str
    first_symbol: str
    closed_port: str


SDT = SdkFlavour(SdtReader, "sdtapi_sim.c", "SDT_SIM_PORT", "SDT_OpenPort",
                 "port could not be opened")
CVR = SdkFlavour(CvrReader, "cvrapi_sim.c", "CVR_SIM_PORT", "CVR_InitComm",
                 "port could not be opened (code 2)")


@contextmanager
def sdk_reader(flavour: SdkFlavour[R], library: Path, sim: SamSimulator,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[R, list[CardEvent]]]:
    """The flavour's reader on ``library`` talking to ``sim``, enabled, with the card
    events it sends; closed afterwards."""
    monkeypatch.setenv(flavour.port_env, sim.port)
    events: list[CardEvent] = []
    r = flavour.reader(clock=FakeClock(), library=str(library), port=1001)
    r.add_card_listener(events.append)
    r.enable()
    try:
        yield r, events
    finally:
        r.close()


@pytest.fixture(scope="module", params=[SDT, CVR], ids=["SDT", "CVR"])
def flavour(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[SdkFlavour[Any], Path]:
    """An SDK flavour with its stand-in library: each in turn, unless the test names one
    (``pytest.mark.parametrize("flavour", [CVR], indirect=True)``)."""
    return request.param, build_stand_in(tmp_path_factory, request.param.source)


@pytest.fixture
def sdk(flavour: tuple[SdkFlavour[Any], Path], sim: SamSimulator,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, list[CardEvent]]]:
    """The flavour's reader on its stand-in, talking to ``sim``: the reader and its events."""
    with sdk_reader(flavour[0], flavour[1], sim, monkeypatch) as opened:
        yield opened


def read_and_remove(sdk: tuple[Any, list[CardEvent]], sim: SamSimulator,
                    profile: CardProfile) -> Identity:
    """An SDK reader (ready) reads ``profile`` placed on the simulator once, and sees it
    taken away: the identity it read."""
    r, events = sdk
    r.poll_once()
    assert r.status.state is DeviceState.READY, r.status
    sim.model.place(profile)
    r.poll_once()
    assert len(events) == 1 and isinstance(events[0], CardInserted), events
    sim.model.remove()
    r.poll_once()
    assert isinstance(events[-1], CardRemoved)
    return events[0].identity
