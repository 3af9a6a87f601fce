"""手写输入 in the form editor: the 手写 key opens a pad in the keys' place; a character
drawn on it with real touches comes back among the candidates, a tap writes it into
the field, 撤销一笔 and 重写 edit the ink, the same button (now 键盘) goes back to the
keys and the strokes are gone. In both orientations and both modes the pad is a usable square."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from kivy.tests.common import UnitTestTouch

from kiosk.handwriting.rare import strokes_of
from kiosk.handwriting.samples import CHARACTERS, densify
from kiosk.wiring.build import Kiosk
from screens.journey.handpad import HandPad
from tests.screens.journey.test_input_and_exits import (  # noqa: F401 - fixture
    journey_kiosk,
    press,
    start,
    to_form,
)

pytestmark = pytest.mark.skipif(
    not __import__("pathlib").Path("/usr/share/tegaki/models/zinnia/"
                                   "handwriting-zh_CN.model").is_file(),
    reason="the Simplified Chinese zinnia model (tegaki-zinnia-simplified-chinese) is absent")


def pad_of(shell: Any) -> HandPad:
    found = [w for w in shell.walk(restrict=True) if isinstance(w, HandPad)]
    assert len(found) == 1
    return found[0]


def write(harness: Any, pad: HandPad, char: str) -> None:
    """Draw ``char`` from the recorded samples or the rare characters' composed strokes
    (1000 x 1000, y down) on the pad."""
    side = min(pad.width, pad.height)
    left, bottom = pad.center_x - side / 2, pad.center_y - side / 2

    def at(p: tuple[int, int]) -> tuple[float, float]:
        return pad.to_window(left + p[0] / 1000 * side, bottom + side - p[1] / 1000 * side)

    for stroke in strokes_of(char):
        points = densify(stroke)
        touch = UnitTestTouch(*at(points[0]))
        touch.touch_down()
        for p in points[1:]:
            touch.touch_move(*at(p))
        touch.touch_up()
    harness.render()


def candidates(shell: Any) -> list[str]:
    return [b.text for b in sorted((w for w in shell.walk(restrict=True)
                                    if str(getattr(w, "action", "")).startswith("cand:")
                                    and w.action != "cand:more"),
                                   key=lambda b: int(b.action.split(":")[1]))]


@pytest.mark.parametrize("site", ["township", "bank-branch"])
def test_a_character_written_on_the_pad_goes_into_the_field(
        harness: Any, journey_kiosk: Callable[[str], Kiosk],  # noqa: F811
        site: str, shot: Callable[[str], Any]) -> None:
    shell = start(harness, journey_kiosk(site))
    to_form(harness, shell)
    press(harness, shell, "field:new_address")
    press(harness, shell, "ime:hand")
    for elderly in (False, True):
        shell.ui.elderly = elderly
        harness.render()
        pad = pad_of(shell)
        assert min(pad.width, pad.height) >= shell.ui.theme.target * 3.5  # a hand fits
    write(harness, pad_of(shell), "王")
    shot("written")
    assert "王" in candidates(shell)[:5]
    press(harness, shell, "hand:undo")  # one stroke fewer: other guesses
    assert len(pad_of(shell).ink.strokes) == len(CHARACTERS["王"]) - 1
    press(harness, shell, "hand:clear")
    assert pad_of(shell).ink.empty and candidates(shell) == []
    write(harness, pad_of(shell), "王")
    index = candidates(shell).index("王")
    press(harness, shell, f"cand:{index}")
    form = shell.current._views["form"]
    assert form.pending.endswith("王")
    assert pad_of(shell).ink.empty  # ready for the next character
    pad = pad_of(shell)
    write(harness, pad, "十")
    press(harness, shell, "ime:hand")  # named 键盘 while the pad is open
    assert pad.ink.empty and not [w for w in shell.walk(restrict=True) if isinstance(w, HandPad)]
    assert any(getattr(w, "key_value", "") == "q" for w in shell.walk(restrict=True))
