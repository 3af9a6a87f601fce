"""呼叫工作人员 on every journey step: the bar's button raises an assistance request with
where the citizen is (item and step, never who) and the step says help is coming, with
the call's number; a call that does not get through sends them to the help desk."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from kiosk.errors import BackofficeUnreachable
from kiosk.wiring.build import Kiosk
from tests.screens.helpers import buttons, visible
from tests.screens.journey.stage import ITEM, Stage, jpeg


@dataclass
class Desk:
    """The back office's assist route as the kiosk's client sees it."""

    fail: bool = False
    calls: list[tuple[str | None, str]] = field(default_factory=list)
    answered: threading.Event = field(default_factory=threading.Event)

    def call_staff(self, item_code: str | None, step: str) -> Any:
        self.calls.append((item_code, step))
        self.answered.set()
        if self.fail:
            raise BackofficeUnreachable("connection refused")
        return SimpleNamespace(number="H042")


def staged(harness: Any, make_kiosk: Callable[..., Kiosk], desk: Desk,
           size: tuple[int, int]) -> Stage:
    kiosk = make_kiosk()
    kiosk.services.assist = desk  # in place of the signed back-office client
    return Stage(harness, kiosk, size)


def settle(harness: Any, condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    """Draw frames (the call's answer comes back through the UI's clock) until it holds."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the call's answer never reached the screen"
        harness.render(1)
        time.sleep(0.02)


def press_call(harness: Any, stage: Stage) -> None:
    button = next(b for b in buttons(stage.shell) if getattr(b, "action", "") == "call_staff")
    assert visible(button) and not button.disabled
    x, _y = button.to_window(button.right, button.y)
    assert x <= stage.shell.width + 1, "the button runs off the screen"
    harness.press(button)


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)], ids=["landscape", "portrait"])
def test_the_call_says_where_and_the_screen_says_help_is_coming(
        harness: Any, make_kiosk: Callable[..., Kiosk], size: tuple[int, int],
        shot: Any) -> None:
    desk = Desk()
    stage = staged(harness, make_kiosk, desk, size)
    stage.to_capture()
    press_call(harness, stage)
    settle(harness, lambda: "H042" in stage.screen.assist_note)
    assert desk.calls == [(ITEM, stage.j.state)]  # capture:<material>: where, not who
    note = stage.screen.ids.assist
    assert visible(note) and note.text == stage.kiosk.translator("zh_CN").gettext(
        "ui.assist.coming", number="H042")
    shot("called")
    stage.fire("page_added", data=jpeg(), content_type="image/jpeg")
    stage.fire("next")  # the note stays while the citizen goes on waiting
    assert "H042" in stage.screen.assist_note


def test_a_call_that_does_not_get_through_says_where_to_go(
        harness: Any, make_kiosk: Callable[..., Kiosk]) -> None:
    desk = Desk(fail=True)
    stage = staged(harness, make_kiosk, desk, (1080, 1920))
    press_call(harness, stage)
    tr = stage.kiosk.translator("zh_CN").gettext
    settle(harness, lambda: stage.screen.assist_note == tr("ui.assist.offline"))


def test_the_button_is_on_journey_steps_only(harness: Any,
                                             make_kiosk: Callable[..., Kiosk]) -> None:
    stage = staged(harness, make_kiosk, Desk(), (1920, 1080))
    assert stage.shell.call_offered
    stage.shell.home()
    harness.render()
    assert not stage.shell.call_offered
    assert not any(getattr(b, "action", "") == "call_staff" for b in buttons(stage.shell))
