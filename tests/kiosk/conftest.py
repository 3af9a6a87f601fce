"""Fixtures of the kiosk core's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kiosk.crash.live_backoffice import LiveBackoffice


@pytest.fixture
def live_backoffice(tmp_path: Path) -> Iterator[LiveBackoffice]:
    """The real back office, started as a uvicorn subprocess on loopback with this
    test's terminal registered (tests/kiosk/crash/live_backoffice.py)."""
    with LiveBackoffice(tmp_path) as bo:
        yield bo
