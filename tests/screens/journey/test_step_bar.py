"""The step bar names the journey's steps: one segment per step, the names under them
(the pages of several materials share one name), the current one bold; it fits one line
in both orientations, both languages and both modes, and moving on a step builds no new
widgets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kiosk.wiring.build import Kiosk
from screens.audit import Audit
from tests.screens.helpers import visible
from tests.screens.journey.stage import Stage, jpeg

pytestmark = pytest.mark.ui

ZH_NAMES = ["身份", "刷脸", "清单", "拍材料", "填表", "签名", "确认", "评价"]
EN_NAMES = ["ID", "Face", "List", "Papers", "Form", "Sign", "Review", "Rate"]


def bar(stage: Stage) -> Any:
    return stage.screen.ids.step_bar.__self__


def current_caption(stage: Stage) -> str:
    bold = [c.text for c in bar(stage).children if c.bold]
    assert len(bold) == 1, bold
    return str(bold[0])


def test_neighbouring_steps_of_one_name_share_a_caption(harness: Any) -> None:
    from screens.widgets import StepBar
    assert StepBar.groups(["身份", "拍材料", "拍材料", "填表"]) == [
        ("身份", 0, 1), ("拍材料", 1, 3), ("填表", 3, 4)]
    widget = StepBar(labels=["身份", "拍材料", "拍材料", "填表"], size=(800, 60),
                     size_hint=(None, None), pos=(0, 0), font_size=24)
    for caption in widget.children:
        caption.texture_update()
    assert widget.captions == ["身份", "拍材料", "填表"]
    shared = next(c for c in widget.children if c.text == "拍材料")
    alone = next(c for c in widget.children if c.text == "身份")
    slots = widget._slots()
    # the shared name stands in the middle under both of its segments
    assert shared.center_x == pytest.approx((slots[1][0] + slots[2][0] + slots[2][1]) / 2)
    # the longer name got the room it needs, the rest is shared equally
    assert slots[1][1] + slots[2][1] > slots[0][1] + shared.width - alone.width - 1
    assert slots[-1][0] + slots[-1][1] == pytest.approx(800)
    widget.current = 2  # the second page's step: the shared caption is the current one
    assert shared.bold and not alone.bold


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)], ids=["landscape", "portrait"])
def test_the_bar_names_every_step_and_marks_the_current_one(
        harness: Any, make_kiosk: Callable[..., Kiosk], size: tuple[int, int],
        shot: Any) -> None:
    stage = Stage(harness, make_kiosk(), size)
    assert bar(stage).captions == ZH_NAMES and visible(bar(stage))
    assert current_caption(stage) == "身份"
    built = set(map(id, bar(stage).children))
    stage.to_capture()
    assert current_caption(stage) == "拍材料"
    assert set(map(id, bar(stage).children)) == built  # restyled, not rebuilt
    stage.fire("page_added", data=jpeg(), content_type="image/jpeg")
    audit = Audit()
    orient = "landscape" if size[0] > size[1] else "portrait"
    for lang, names in (("zh_CN", ZH_NAMES), ("en", EN_NAMES)):
        stage.shell.ui.lang = lang
        for elderly in (False, True):
            stage.shell.ui.elderly = elderly
            stage.render()
            assert bar(stage).captions == names
            mode = "elderly" if elderly else "standard"
            variant = f"township-{orient}-{lang}-{mode}"
            audit.check(stage.shell, screen="journey-capture", variant=variant,
                        elderly=elderly, scale=stage.shell.ui.theme.scale,
                        pair=f"township-{orient}-{lang}")
            shot(f"{lang}-{mode}")
    assert audit.findings == [], "\n".join(map(str, audit.findings))


def test_off_the_steps_the_bar_is_empty(harness: Any,
                                        make_kiosk: Callable[..., Kiosk]) -> None:
    """The face fallback (staff check) is not one of the steps: no bar, no stale names."""
    stage = Stage(harness, make_kiosk(), (1080, 1920))
    stage.to_face()
    for _ in range(stage.j.settings.face_max_attempts):
        stage.fire("face_failed")
    assert stage.j.state == "face_fallback", stage.j.state
    assert bar(stage).captions == [] and bar(stage).height == 0


def test_the_bar_moves_with_the_orientation(harness: Any,
                                            make_kiosk: Callable[..., Kiosk]) -> None:
    """Landscape: in the top row, and no empty row of its own (its spacing would take
    height from the step); portrait: a row of its own under the buttons."""
    stage = Stage(harness, make_kiosk(), (1920, 1080))
    screen = stage.screen
    assert bar(stage).parent is screen.ids.bar_inline.__self__ and screen._bar_row.parent is None
    stage.shell.ui.set_resolution((1080, 1920))
    assert bar(stage).parent is screen._bar_row and screen._bar_row.parent is not None
    stage.shell.ui.set_resolution((1920, 1080))
    assert bar(stage).parent is screen.ids.bar_inline.__self__ and screen._bar_row.parent is None
