"""Shared fixtures and the test-selection policy.

The simulated terminal (``env``), the devices built on it (``devices``) and the one
offscreen Kivy window of UI tests (``harness``) are here, once for every folder. Markers
(pyproject.toml): ``slow`` tests are bounded and run in CI; ``soak`` tests are long
repetitions of a slow test and run only with ``KIOSK_SOAK=1`` (e.g. ``KIOSK_SOAK=1
scripts/test -m soak``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Kivy reads its settings when first imported and allows one window per process: set
# them before any test module imports it. Offscreen SDL renders with software OpenGL
# and gives real screenshots without an X server.
os.environ["SDL_VIDEODRIVER"] = "offscreen"
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ["KIVY_NO_CONSOLELOG"] = "1"
os.environ["KIVY_NO_FILELOG"] = "1"
os.environ["KIVY_LOG_MODE"] = "PYTHON"
# Kivy writes its config.ini there on first use; keep it out of the user's home.
os.environ["KIVY_HOME"] = str(Path(__file__).resolve().parents[1] / "var" / "kivy-tests")

import pytest

from kiosk.clock import SystemClock
from kiosk.config.model import load_site
from kiosk.wiring.devices import DeviceSet, build_devices
from simenv.environment import SimEnvironment

ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("KIOSK_SOAK") == "1":
        return
    skip = pytest.mark.skip(reason="soak run: set KIOSK_SOAK=1 to run it")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def env() -> Iterator[SimEnvironment]:
    """The simulated terminal (simenv/): every simulator and the back office as child
    processes on loopback, one per test module (start-up is a few interpreter starts).
    A test that changes it puts it back (no card, printer OK, back office up)."""
    with SimEnvironment() as sim:
        yield sim


@contextmanager
def open_devices_on(env: SimEnvironment) -> Iterator[DeviceSet]:
    """The kiosk's devices built by the factory from the environment's overlay, open;
    afterwards closed and the environment put back (no card, printer OK, back office up)."""
    config = env.config()
    with build_devices(config, load_site(config), clock=SystemClock()) as devs:
        devs.open_all()
        yield devs
    env.remove_card()
    env.printer_ok()
    env.backoffice_up()


@pytest.fixture
def devices(env: SimEnvironment) -> Iterator[DeviceSet]:
    """:func:`open_devices_on` the environment. (Tests on stub devices define their own
    ``devices``; they reach these as ``sim_devices``.)"""
    with open_devices_on(env) as devs:
        yield devs


@pytest.fixture
def sim_devices(env: SimEnvironment) -> Iterator[DeviceSet]:
    """The same as ``devices``, under a name that stub ``devices`` fixtures do not hide."""
    with open_devices_on(env) as devs:
        yield devs


@pytest.fixture(scope="session")
def harness() -> Iterator[Any]:
    """The one offscreen Kivy window (1920x1080) a test session may have."""
    from screens.main import prepare_kivy  # Kivy is imported from here on
    prepare_kivy((1920, 1080), headless=True)
    from screens.fonts import register_fonts
    register_fonts(ROOT / "var")
    from screens.harness import Harness
    h = Harness()
    yield h
    h.close_shell()


class _Unsettled(logging.Handler):
    """Kivy's note that a frame was drawn before its layouts and labels settled (it
    stops after Clock.max_iteration rounds and draws what it has)."""

    def __init__(self) -> None:
        super().__init__(logging.CRITICAL)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "too much iteration" in record.getMessage():
            self.seen.append(record.getMessage()[:300])


@pytest.fixture(autouse=True)
def frames_settle(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that draws screens: no frame may be drawn half laid out."""
    if "harness" not in request.fixturenames:
        yield
        return
    watch = _Unsettled()
    kivy_log = logging.getLogger("kivy")
    kivy_log.addHandler(watch)
    try:
        yield
    finally:
        kivy_log.removeHandler(watch)
    assert not watch.seen, f"a frame was drawn before its screen settled: {watch.seen[0]}"
