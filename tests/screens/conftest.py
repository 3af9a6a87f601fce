"""UI test fixtures: one offscreen Kivy window for the whole test session.

Kivy reads its settings when first imported and allows one window per process,
so the environment is set here, before any test module imports Kivy, and the
window is shared: each test puts a fresh shell (a fresh kiosk core with a
FakeClock) into it. ``SDL_VIDEODRIVER=offscreen`` renders with software OpenGL
and gives real screenshots without an X server (see DESIGN.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ["SDL_VIDEODRIVER"] = "offscreen"
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ["KIVY_NO_CONSOLELOG"] = "1"
os.environ["KIVY_NO_FILELOG"] = "1"
os.environ["KIVY_LOG_MODE"] = "PYTHON"
# Kivy writes its config.ini there on first use; keep it out of the user's home.
os.environ["KIVY_HOME"] = str(Path(__file__).resolve().parents[2] / "var" / "kivy-tests")

import pytest

from devices.base import Device, DeviceState, DeviceStatus
from kiosk.clock import FakeClock
from kiosk.wiring.build import Kiosk, build_kiosk

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "var" / "screenshots" / "tests"
KINDS = ("idcard", "sscard", "printer", "camera", "doccam", "scanner")


class StubDevice(Device):
    """A device whose status the test sets. The UI only reads status and enables it;
    the real drivers and their wire-protocol simulators are tested in tests/devices."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"stub-{kind}")
        self.kind = kind
        self._set_status(DeviceStatus(DeviceState.READY))

    def force(self, state: DeviceState, reason: str | None = None) -> None:
        self._set_status(DeviceStatus(state, reason=reason))


@pytest.fixture(scope="session")
def harness() -> Iterator[Any]:
    from screens.main import prepare_kivy
    prepare_kivy((1920, 1080), headless=True)
    from screens.fonts import register_fonts
    register_fonts(ROOT / "var")
    from screens.harness import Harness
    h = Harness()
    yield h
    h.close_shell()


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
