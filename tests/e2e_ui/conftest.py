"""End-to-end tests through the real UI: one offscreen Kivy window, one simulated
terminal per module (``env`` of tests/conftest.py: SAM pty, ESC/POS emulator, camera
scenes, back office), and a fresh kiosk (real drivers from the environment's overlay, outbox,
sender, receipt service, journey screens) per test.

The window (``harness``) and Kivy's environment come from tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.clock import SystemClock
from kiosk.wiring.build import Kiosk, build_kiosk
from kiosk.wiring.devices import open_devices
from kiosk.wiring.journey import attach_journey
from simenv.environment import SimEnvironment

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "var" / "screenshots" / "e2e"


@pytest.fixture
def kiosk(env: SimEnvironment) -> Iterator[Kiosk]:
    """The kiosk as scripts/run builds it on the simulators (short submit wait)."""
    # One outbox per module (the environment's): kiosk references stay unique, as
    # on a real terminal, so the back office never takes a new case for a retry.
    k = build_kiosk(overlays=(env.overlay,), clock=SystemClock(),
                    device_factory=open_devices)
    attach_journey(k, submit_wait_s=5.0, heartbeat=False)
    # No kiosk.services.simenv: the developer panel is scripts/run's, not the citizen's.
    try:
        yield k
    finally:
        k.close()
        env.remove_card()
        env.printer_ok()
        env.backoffice_up()
        env.camera_scene("camera", "none")
        env.camera_scene("doccam", "none")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # pyscard's PCSCCardConnection.__del__ raises when pcscd went away under it (the
    # 社保卡 driver's business, tests/devices/sscard); it is not what these tests check.
    for item in items:
        item.add_marker(pytest.mark.filterwarnings(
            "ignore:Exception ignored in.*PCSCCardConnection.__del__"
            ":pytest.PytestUnraisableExceptionWarning"))
