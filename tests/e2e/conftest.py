"""End to end through real processes: one simulated terminal (simenv.environment) for the
whole e2e folder; each test leaves it as it found it (no card, printer OK, back
office up). Nothing here draws on a screen: the UI's own e2e tests live in tests/screens."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from kiosk.clock import SystemClock
from kiosk.config.model import load_site
from kiosk.wiring.devices import DeviceSet, build_devices
from simenv.environment import SimEnvironment

WAIT_S = 30.0


@pytest.fixture(scope="session")
def env() -> Iterator[SimEnvironment]:
    with SimEnvironment() as sim:
        yield sim


@pytest.fixture
def devices(env: SimEnvironment) -> Iterator[DeviceSet]:
    """The kiosk's devices built by the factory from the environment's overlay, open."""
    config = env.config()
    with build_devices(config, load_site(config), clock=SystemClock()) as devs:
        devs.open_all()
        yield devs
    env.remove_card()
    env.printer_ok()
    env.backoffice_up()


def wait_until(condition: Callable[[], bool], timeout_s: float = WAIT_S) -> bool:
    """Poll a condition on other processes' work, bounded."""
    stop = threading.Event()
    timer = threading.Timer(timeout_s, stop.set)
    timer.start()
    try:
        while not stop.is_set():
            if condition():
                return True
            stop.wait(0.05)
        return condition()
    finally:
        timer.cancel()
