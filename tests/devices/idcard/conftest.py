"""Fixtures: the SAM simulator on a real pty, behind a stable symlink; the vendor-SDK
stand-ins built with gcc."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.idcard.simulator import SamSimulator


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SamSimulator]:
    simulator = SamSimulator(tmp_path / "idcard-tty", baud=115200)
    simulator.plug()
    yield simulator
    simulator.unplug()


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
