"""Self-tests on the simulated terminal (simenv.environment): the real printer driver prints
a test page on the ESC/POS emulator, the real reader reads a card from the SAM
simulator (shown masked), the real camera driver gives a frame with the face box,
the document camera scans a page. Real touches; screenshots for review."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devices.idcard.profiles import builtin_profiles
from kiosk.clock import SystemClock
from kiosk.config.model import TechnicianConfig
from kiosk.session import EndReason
from kiosk.technician.gate import PinGate, hash_pin
from kiosk.wiring.build import Kiosk, build_kiosk
from kiosk.wiring.devices import DeviceSet
from simenv.environment import SimEnvironment
from tests.screens.helpers import buttons, one
from tests.waiting import render_until

pytestmark = [pytest.mark.ui, pytest.mark.slow]

Shot = Callable[[str], Path]


@pytest.fixture
def kiosk(env: SimEnvironment, sim_devices: DeviceSet, tmp_path: Path) -> Iterator[Kiosk]:
    clock = SystemClock()
    built = build_kiosk(overlays=(env.overlay,), clock=clock, devices=dict(sim_devices))
    built.services.pin_gate = PinGate(TechnicianConfig(pin_hash=hash_pin("135790", n=2 ** 8)),
                                      tmp_path / "technician.json", clock, key=bytes(32))
    try:
        yield built
    finally:
        built.session.end(EndReason.CANCEL)


def wait_for(harness: Any, condition: Callable[[], bool]) -> bool:
    # 60 s: the first camera test loads the face models.
    return render_until(harness, condition, 60.0)


def test_self_tests_show_their_results(harness: Any, env: SimEnvironment, kiosk: Kiosk,
                                       shot: Shot) -> None:
    env.camera_scene("doccam", "document")  # a page under the document camera
    shell = harness.show(kiosk)
    kiosk.session.touch()  # the technician's touches hold a session: devices are on
    shell.hidden_entry.authenticated = True  # the PIN pad has its own tests
    shell.go("tech_selftest")
    harness.render()
    screen = shell.current

    def run(test: str) -> None:
        harness.press(one([b for b in buttons(shell) if getattr(b, "action", "")
                           == f"test_{test}"]))

    before = len(env.receipts())
    run("print")
    assert wait_for(harness, lambda: "已打印" in screen.results.get("print", (0, ""))[1]), \
        screen.results
    assert wait_for(harness, lambda: len(env.receipts()) > before)

    run("card")
    env.place_card("resident")
    assert wait_for(harness, lambda: "读卡成功" in screen.results["card"][1]), screen.results
    shown = screen.results["card"][1]
    holder = builtin_profiles()["resident"].fields
    assert "张*" in shown and holder["name"] not in shown  # masked (kiosk/privacy.py)
    assert holder["id_number"] not in shown and holder["id_number"][-4:] in shown

    env.camera_scene("camera", "holder")
    run("camera")
    assert wait_for(harness, lambda: "人脸" in screen.results["camera"][1]), screen.results
    assert screen.results["camera"][0] and screen.preview is not None

    shot("1-camera")
    screen.ids.scroll.scroll_y = 0  # the technician scrolls down to the last test
    harness.render()
    run("scan")
    assert wait_for(harness, lambda: screen.results["scan"][1] != "正在运行……"), \
        screen.results
    assert screen.results["scan"][1].startswith("已扫描"), screen.results
    shot("2-scan")
