"""Session life cycle, idle warning and timeout, wiping and device enabling."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.base import Device
from kiosk.clock import FakeClock
from kiosk.config.model import IdleConfig
from kiosk.identity import CardType, Identity
from kiosk.session import EndReason, SessionData, SessionEvent, SessionManager, SessionState


def identity() -> Identity:
    return Identity(CardType.RESIDENT, "张三", "11010519491231002X", "1", date(1949, 12, 31),
                    photo_wlt=b"\x01" * 1024)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def devices() -> list[Device]:
    return [Device("reader"), Device("camera")]


@pytest.fixture
def manager(clock: FakeClock, devices: list[Device]) -> SessionManager:
    return SessionManager(clock, IdleConfig(timeout_s=120, warning_s=30), devices)


def events(manager: SessionManager) -> list[SessionEvent]:
    seen: list[SessionEvent] = []
    manager.add_listener(lambda _m, e: seen.append(e))
    return seen


def test_first_touch_starts_a_session_and_enables_devices(
        manager: SessionManager, devices: list[Device]) -> None:
    seen = events(manager)
    assert manager.state is SessionState.IDLE and not any(d.enabled for d in devices)
    manager.touch()
    assert manager.state is SessionState.ACTIVE
    assert all(d.enabled for d in devices)
    assert seen == [SessionEvent.STARTED]
    manager.touch()  # a second touch does not start another session
    assert seen == [SessionEvent.STARTED] and manager.session_no == 1


def test_warning_comes_warning_s_before_the_timeout(manager: SessionManager,
                                                    clock: FakeClock) -> None:
    seen = events(manager)
    manager.touch()
    clock.advance(89.0)
    manager.tick()
    assert manager.state is SessionState.ACTIVE
    clock.advance(1.0)
    manager.tick()
    assert manager.state is SessionState.WARNING
    assert manager.remaining() == pytest.approx(30.0)  # WCAG 2.2.1: at least 20 s to react
    manager.tick()
    assert seen.count(SessionEvent.WARNING) == 1


def test_extend_resets_the_timer(manager: SessionManager, clock: FakeClock) -> None:
    seen = events(manager)
    manager.touch()
    clock.advance(100)
    manager.tick()
    manager.extend()
    assert manager.state is SessionState.ACTIVE
    assert manager.remaining() == pytest.approx(120.0)
    assert SessionEvent.EXTENDED in seen
    clock.advance(119)
    manager.tick()
    assert manager.active


def test_idle_timeout_ends_wipes_and_disables(manager: SessionManager, clock: FakeClock,
                                              devices: list[Device]) -> None:
    seen = events(manager)
    manager.touch()
    data = manager.data
    data.item_code = "330109-HJ-001"
    data.identity = identity()
    data.verification["score"] = 0.81
    data.add_frame(b"\xff" * 64)
    data.add_scan("HKB", b"\xaa" * 32)
    data.form["phone"] = "13800000000"
    frame, page = data.frames[0], data.scans["HKB"][0]
    clock.advance(120)
    manager.tick()
    assert manager.state is SessionState.IDLE
    assert manager.last_end_reason is EndReason.TIMEOUT
    assert seen[-1] is SessionEvent.ENDED
    assert not any(d.enabled for d in devices)
    # the old object is empty and its buffers were overwritten, not just dropped
    assert data.empty and manager.data.empty and manager.data is not data
    assert frame == bytearray(64) and page == bytearray(32)


@pytest.mark.parametrize("reason", [EndReason.DONE, EndReason.CANCEL])
def test_end_on_done_or_cancel(manager: SessionManager, reason: EndReason) -> None:
    manager.touch()
    manager.data.form["x"] = "y"
    manager.end(reason)
    assert manager.last_end_reason is reason and manager.data.empty
    manager.end(EndReason.TIMEOUT)  # idempotent
    assert manager.last_end_reason is reason


def test_tick_when_idle_does_nothing(manager: SessionManager, clock: FakeClock) -> None:
    seen = events(manager)
    clock.advance(10_000)
    manager.tick()
    assert seen == [] and manager.remaining() == 0.0


def test_touch_during_warning_extends(manager: SessionManager, clock: FakeClock) -> None:
    seen = events(manager)
    manager.touch()
    clock.advance(95)
    manager.tick()
    manager.touch()
    assert manager.state is SessionState.ACTIVE and seen[-1] is SessionEvent.EXTENDED


def test_new_session_after_end_starts_clean(manager: SessionManager) -> None:
    manager.touch()
    manager.data.form["name"] = "张三"
    manager.end(EndReason.DONE)
    manager.touch()
    assert manager.session_no == 2 and manager.data.empty


def test_remove_listener(manager: SessionManager) -> None:
    seen: list[SessionEvent] = []

    def listener(_m: SessionManager, e: SessionEvent) -> None:
        seen.append(e)

    manager.add_listener(listener)
    manager.remove_listener(listener)
    manager.touch()
    assert seen == []


def test_session_data_wipe_is_complete() -> None:
    data = SessionData(item_code="X", identity=identity())
    data.notes["step"] = 2
    assert not data.empty
    data.wipe()
    assert data.empty


@given(st.lists(st.tuples(st.floats(0, 40), st.booleans()), max_size=40))
def test_warning_always_comes_warning_s_before_a_timeout(
        steps: list[tuple[float, bool]]) -> None:
    """Whatever the citizen does, a timeout is announced ≥ warning_s (less one tick)
    before it happens, with the UI ticking every 0.5 s (WCAG 2.2.1)."""
    clock = FakeClock()
    manager = SessionManager(clock, IdleConfig(timeout_s=60, warning_s=20))
    warned_at: list[float] = []
    ended: list[float] = []

    def listener(m: SessionManager, event: SessionEvent) -> None:
        if event is SessionEvent.WARNING:
            warned_at.append(clock.monotonic())
        elif event is SessionEvent.EXTENDED:
            warned_at.clear()
        elif event is SessionEvent.ENDED and m.last_end_reason is EndReason.TIMEOUT:
            ended.append(clock.monotonic() - warned_at[-1])

    manager.add_listener(listener)
    manager.touch()
    for wait, touch in steps:
        for _ in range(int(wait / 0.5)):
            clock.advance(0.5)
            manager.tick()
        if touch:
            manager.touch()
            warned_at.clear()
    assert all(gap >= 20 - 0.5 for gap in ended)
