"""UI test fixtures: one offscreen Kivy window for the whole test session.

Kivy reads its settings when first imported and allows one window per process, so the
environment is set in tests/conftest.py, before any test module imports Kivy, and the
window (``harness``, also there) is shared: each test puts a fresh shell (a fresh kiosk
core with a FakeClock) into it. ``SDL_VIDEODRIVER=offscreen`` renders with software
OpenGL and gives real screenshots without an X server.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.clock import FakeClock
from kiosk.wiring.build import Kiosk, build_kiosk
from tests.fakes import StubDevice

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "var" / "screenshots" / "tests"
KINDS = ("idcard", "sscard", "printer", "camera", "doccam", "scanner")


@pytest.fixture
def devices() -> dict[str, StubDevice]:
    return {kind: StubDevice(kind) for kind in KINDS}


@pytest.fixture
def make_kiosk(devices: dict[str, StubDevice]) -> Callable[..., Kiosk]:
    def make(site: str = "township", **kw: Any) -> Kiosk:
        kw.setdefault("devices", devices)
        return build_kiosk(site_name=site, clock=FakeClock(), **kw)
    return make


@pytest.fixture
def shot(request: pytest.FixtureRequest, harness: Any) -> Callable[[str], Path]:
    """Save a screenshot named after the test: var/screenshots/tests/<test>-<step>.png."""
    def save(step: str) -> Path:
        name = request.node.name.replace("[", "-").replace("]", "")
        return harness.screenshot(SHOTS / f"{name}-{step}.png")
    return save
