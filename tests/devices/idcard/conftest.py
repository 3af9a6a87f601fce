"""Fixtures: the SAM simulator on a real pty, behind a stable symlink."""

from __future__ import annotations

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
