"""Shared fixtures and the test-selection policy.

The simulated terminal (``env``) and the devices built on it (``devices``) are here,
once for every folder. Markers (pyproject.toml): ``slow`` tests are bounded and run
in CI; ``soak`` tests are long repetitions of a slow test and run only with
``KIOSK_SOAK=1`` (e.g. ``KIOSK_SOAK=1 scripts/test -m soak``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from kiosk.clock import SystemClock
from kiosk.config.model import load_site
from kiosk.wiring.devices import DeviceSet, build_devices
from simenv.environment import SimEnvironment


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


@pytest.fixture
def devices(env: SimEnvironment) -> Iterator[DeviceSet]:
    """The kiosk's devices built by the factory from the environment's overlay, open;
    afterwards the environment is put back. (Tests on stub devices define their own.)"""
    config = env.config()
    with build_devices(config, load_site(config), clock=SystemClock()) as devs:
        devs.open_all()
        yield devs
    env.remove_card()
    env.printer_ok()
    env.backoffice_up()
