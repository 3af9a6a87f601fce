"""Technician mode with real touches in the offscreen window: the corner gesture
and the PIN pad (lockout after 5 wrong PINs), devices going UNAVAILABLE live, the
outbox with a refused case and "retry now", exit and the idle timeout."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devices.base import DeviceState
from kiosk.clock import FakeClock
from kiosk.config.model import TechnicianConfig
from kiosk.submission.crypto import Sealer
from kiosk.submission.outbox import Outbox
from kiosk.technician.console import TechnicianConsole
from kiosk.technician.gate import PinGate, hash_pin
from kiosk.wiring.build import Kiosk
from tests.fakes import StubDevice
from tests.kiosk.case_factory import make_case
from tests.screens.helpers import buttons, labels, one

pytestmark = pytest.mark.ui

PIN = "246810"
Shot = Callable[[str], Path]


class CountingSender:
    """Stands in for the sender thread: counts wake-ups (the screen's only call)."""

    def __init__(self) -> None:
        self.woken = 0

    def wake(self) -> None:
        self.woken += 1


@pytest.fixture
def tech_kiosk(make_kiosk: Callable[..., Kiosk], tmp_path: Path) -> Kiosk:
    kiosk = make_kiosk()
    # A cheap scrypt cost keeps five wrong PINs fast; the format is the production one.
    config = TechnicianConfig(pin_hash=hash_pin(PIN, n=2 ** 8))
    kiosk.services.pin_gate = PinGate(config, tmp_path / "technician.json", kiosk.clock,
                                      key=bytes(32))
    return kiosk


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.sqlite3", Sealer(bytes(range(32))), ref_prefix="XD",
                 clock=FakeClock())
    yield box
    box.close()


def touch_at(harness: Any, shell: Any, corner: str, inset: float = 8) -> None:
    """A real touch in a corner of the shell (``inset`` px in from the edges)."""
    from kivy.tests.common import UnitTestTouch
    x = inset if corner[1] == "l" else shell.width - inset
    y = shell.height - inset if corner[0] == "t" else inset
    t = UnitTestTouch(x, y)
    t.touch_down()
    t.touch_up()
    harness.render()


def enter(harness: Any, shell: Any, pin: str) -> None:
    pad = shell.current
    for digit in pin:
        harness.press(one([b for b in buttons(shell) if getattr(b, "action", "")
                           == f"key_{digit}"]))
    assert pad.entered == pin
    harness.press(one([b for b in buttons(shell) if getattr(b, "action", "") == "ok"]))


def texts(shell: Any) -> str:
    return " ".join(label.text for label in labels(shell))


def open_pad(harness: Any, shell: Any) -> None:
    elderly = shell.ui.elderly
    for corner in ("tl", "tr", "br", "bl"):
        touch_at(harness, shell, corner)
    assert shell.sm.current == "tech_pin"
    assert shell.ui.elderly == elderly  # the 长辈版 toggle in the top-right corner was spared


def test_corner_gesture_then_pin_opens_the_menu(harness: Any, tech_kiosk: Kiosk,
                                                shot: Shot) -> None:
    shell = harness.show(tech_kiosk)
    touch_at(harness, shell, "tl")
    touch_at(harness, shell, "br")  # out of order: nothing
    assert shell.sm.current == "home"
    open_pad(harness, shell)
    shot("1-pin")
    enter(harness, shell, PIN)
    assert shell.sm.current == "tech_menu" and shell.hidden_entry.authenticated
    shot("2-menu")
    harness.press(one([b for b in buttons(shell) if getattr(b, "tool", "") == "devices"]))
    assert shell.sm.current == "tech_devices"
    harness.press(one([b for b in buttons(shell) if getattr(b, "action", "") == "menu"]))
    harness.press(one([b for b in buttons(shell) if getattr(b, "action", "") == "exit"]))
    assert shell.sm.current == "home" and not shell.hidden_entry.authenticated
    shell.go("tech_devices")  # no way around the PIN
    harness.render()
    assert shell.sm.current == "tech_pin"


def test_five_wrong_pins_lock_for_15_minutes(harness: Any, tech_kiosk: Kiosk,
                                             shot: Shot) -> None:
    shell = harness.show(tech_kiosk)
    open_pad(harness, shell)
    for n in range(1, 5):
        enter(harness, shell, "111111")
        assert shell.current.problem == f"密码错误，还可尝试{5 - n}次"
    shot("1-wrong")
    enter(harness, shell, "111111")
    assert "15分钟后再试" in texts(shell)
    shot("2-locked")
    enter(harness, shell, PIN)  # the right PIN while locked: still locked
    assert shell.sm.current == "tech_pin" and not shell.hidden_entry.authenticated
    clock = tech_kiosk.clock
    assert isinstance(clock, FakeClock)
    clock.advance(15 * 60 + 1)
    shell.session.touch()
    enter(harness, shell, PIN)
    assert shell.sm.current == "tech_menu"


def test_device_going_unavailable_shows_live(harness: Any, tech_kiosk: Kiosk,
                                             devices: dict[str, StubDevice],
                                             shot: Shot) -> None:
    shell = harness.show(tech_kiosk)
    open_pad(harness, shell)
    enter(harness, shell, PIN)
    shell.go("tech_devices")
    harness.render()
    assert "打印机" in texts(shell) and "不可用" not in texts(shell)
    devices["printer"].force(DeviceState.UNAVAILABLE, reason="device.reason.no_answer")
    harness.render()  # the status reaches the screen through the bridge
    assert "不可用" in texts(shell)
    shot("unavailable")


def test_outbox_shows_a_refused_case_and_retries_now(harness: Any, tech_kiosk: Kiosk,
                                                     outbox: Outbox, shot: Shot) -> None:
    refused = outbox.enqueue(make_case("refused", terminal_id="XS-DEV-0001"))
    outbox.enqueue(make_case("waiting", terminal_id="XS-DEV-0001", serial=124))
    outbox.mark_refused(refused, 422, "item_not_offered: 330109-HJ-001")
    outbox.set_hold(outbox.hold_until() or 10 ** 10)
    sender = CountingSender()
    tech_kiosk.services.technician = TechnicianConsole(
        tech_kiosk.config, clock=tech_kiosk.clock, devices=tech_kiosk.devices,
        outbox=outbox, sender=sender)
    shell = harness.show(tech_kiosk)
    open_pad(harness, shell)
    enter(harness, shell, PIN)
    harness.press(one([b for b in buttons(shell) if getattr(b, "tool", "") == "outbox"]))
    shown = texts(shell)
    assert refused in shown and "item_not_offered" in shown and "422" in shown
    assert "待发送 1，被退回 1" in shown
    shot("1-refused")
    harness.press(one([b for b in buttons(shell) if getattr(b, "action", "") == "retry_now"]))
    assert sender.woken == 1 and outbox.hold_until() is None
    assert "正在重试" in texts(shell)
    shot("2-retry")


def test_idle_timeout_ends_the_technician_session(harness: Any, tech_kiosk: Kiosk) -> None:
    shell = harness.show(tech_kiosk)
    open_pad(harness, shell)
    enter(harness, shell, PIN)
    clock = tech_kiosk.clock
    assert isinstance(clock, FakeClock)
    clock.advance(shell.session.timeout_s + 1)
    shell.tick()
    harness.render()
    assert shell.sm.current == "home" and not shell.hidden_entry.authenticated


def test_every_tool_renders_in_english(harness: Any, tech_kiosk: Kiosk, shot: Shot) -> None:
    shell = harness.show(tech_kiosk)
    shell.ui.lang = "en"
    open_pad(harness, shell)
    enter(harness, shell, PIN)
    for tool in ("selftest", "backoffice", "logs", "export"):
        shell.go(f"tech_{tool}")
        harness.render()
        assert shell.sm.current == f"tech_{tool}"
        shot(tool)
    missing = tech_kiosk.translator("en").missing.get("en")  # type: ignore[attr-defined]
    assert not missing, sorted(missing)


def test_recent_logs_are_redacted_and_a_bundle_is_exported(harness: Any, tech_kiosk: Kiosk,
                                                           tmp_path: Path, shot: Shot) -> None:
    import logging

    from kiosk.logging_setup import RingBufferHandler
    ring = RingBufferHandler(50)
    log = logging.getLogger("kiosk.test.technician")
    log.addHandler(ring)
    log.propagate = False
    try:
        log.warning("card read for 330106199001011234 failed once")
    finally:
        log.removeHandler(ring)
    tech_kiosk.services.log_ring = ring
    tech_kiosk.services.bundle_dir = tmp_path / "bundles"
    shell = harness.show(tech_kiosk)
    open_pad(harness, shell)
    enter(harness, shell, PIN)
    harness.press(one([b for b in buttons(shell) if getattr(b, "tool", "") == "logs"]))
    shown = texts(shell)
    assert "card read for" in shown and "330106199001011234" not in shown
    shot("1-logs")
    shell.go("tech_export")
    harness.render()
    screen = shell.current
    harness.press(one([b for b in buttons(shell) if getattr(b, "action", "") == "export_0"]))
    for _ in range(600):  # the bundle is written on a worker thread; bounded
        harness.render(1)
        if "诊断包已保存" in screen.status:
            break
    assert "诊断包已保存" in screen.status, screen.status
    assert any((tmp_path / "bundles").iterdir())
    shot("2-exported")


def test_corner_buttons_still_work_for_citizens(harness: Any, tech_kiosk: Kiosk) -> None:
    """Home (bottom-left corner) then 长辈版 (top-right corner) is no gesture: both act."""
    shell = harness.show(tech_kiosk)
    harness.press(one([b for b in buttons(shell) if getattr(b, "tile_id", "") == "apply"]))
    elderly = shell.ui.elderly
    touch_at(harness, shell, "bl", inset=60)  # on the Home button, in the corner zone
    assert shell.sm.current == "home"
    touch_at(harness, shell, "tr", inset=60)  # on the 长辈版 toggle, in the corner zone
    assert shell.ui.elderly is not elderly
