"""Full garbage collections run between citizens, at a quiet moment, never in a tap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kiosk.wiring.build import Kiosk
from screens.idlegc import IdleCollector

pytestmark = pytest.mark.ui


class FakeGc:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.threshold = (700, 10, 10)

    def get_threshold(self) -> tuple[int, int, int]:
        return self.threshold

    def set_threshold(self, *values: int) -> None:
        self.threshold = values  # type: ignore[assignment]

    def unfreeze(self) -> None:
        self.calls.append("unfreeze")

    def collect(self) -> int:
        self.calls.append("collect")
        return 0

    def freeze(self) -> None:
        self.calls.append("freeze")


def test_collects_once_when_due_and_quiet() -> None:
    fake = FakeGc()
    collector = IdleCollector(quiet_s=2.0, collector=fake)
    assert not collector.tick(idle_s=60)  # nothing ended: nothing to do
    collector.due()
    assert not collector.tick(idle_s=0.5)  # someone is touching the screen
    assert collector.tick(idle_s=2.5)
    assert fake.calls == ["unfreeze", "collect", "freeze"]  # thawed, walked, frozen again
    assert not collector.tick(idle_s=10)  # once per end
    assert collector.runs == 1
    # citizens one after the other, never a quiet moment: after max_pending, at the
    # first short pause, never in the frame that answers a touch (idle 0)
    for _ in range(collector.max_pending):
        collector.due()
        assert not collector.tick(idle_s=0.3)
    collector.due()
    assert not collector.tick(idle_s=0.0)  # the tap that ended the session: not now
    assert collector.tick(idle_s=0.5)  # quiet_s / 5 untouched
    assert collector.runs == 2
    # and never a pause at all: after 4 * max_pending, anyway
    for _ in range(4 * collector.max_pending):
        collector.due()
        assert not collector.tick(idle_s=0.0)
    collector.due()
    assert collector.tick(idle_s=0.0)
    assert collector.runs == 3
    # Python's own full collections wait for the quiet moments; the young ones go on
    assert fake.threshold == (700, 10, IdleCollector.FULL_AFTER)
    collector.release()
    assert fake.threshold == (700, 10, 10)
    collector.install()  # the shell installs it when it starts, before any collection
    assert fake.threshold == (700, 10, IdleCollector.FULL_AFTER)
    collector.release()
    assert fake.threshold == (700, 10, 10) and fake.calls[-1] == "unfreeze"


def test_the_real_collector_frees_a_cycle_made_before_the_freeze() -> None:
    import gc
    import weakref

    class Node:
        other: Any = None

    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    collector = IdleCollector(quiet_s=0)
    collector.due()
    collector.tick(0)  # a and b are frozen now, as everything alive was
    del a, b
    collector.due()
    try:
        assert collector.tick(0)
        assert gone() is None  # thawed before the walk: garbage from before is freed
    finally:
        collector.release()  # the rest of the test session runs as Python does by itself
        assert gc.get_threshold()[2] != IdleCollector.FULL_AFTER


def test_the_shell_collects_after_a_session_at_the_first_quiet_moment(
        harness: Any, make_kiosk: Callable[..., Kiosk]) -> None:
    fake = FakeGc()
    kiosk = make_kiosk()
    harness.collector = IdleCollector(quiet_s=2.0, collector=fake)
    try:
        shell = harness.show(kiosk)
        clock = kiosk.clock
        clock.advance(3)  # type: ignore[attr-defined]
        shell.tick()
        assert fake.calls == ["unfreeze", "collect", "freeze"]  # after start-up
        fake.calls.clear()
        harness.press(next(w for w in shell.walk() if getattr(w, "tile_id", "") == "apply"))
        clock.advance(3)  # type: ignore[attr-defined]
        shell.tick()
        assert fake.calls == []  # a session is on: nothing is due
        harness.press(shell.ids.home)  # 首页: the session ends
        assert not kiosk.session.active
        shell.tick()
        assert fake.calls == []  # the citizen touched the screen a moment ago
        clock.advance(2.5)  # type: ignore[attr-defined]
        shell.tick()
        assert fake.calls == ["unfreeze", "collect", "freeze"]
        assert fake.threshold[2] == IdleCollector.FULL_AFTER
    finally:
        harness.collector = None
