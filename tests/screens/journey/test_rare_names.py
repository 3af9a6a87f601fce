"""A spouse named 王䶮: 䶮 (CJK Extension A) is reached through pinyin on the input
method's further pages of candidates (更多), common characters first, or written by
hand; 王 by pinyin or by handwriting. Both ways end in the same field value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.wiring.build import Kiosk
from tests.screens.journey.test_handwriting_pad import candidates, pad_of, write
from tests.screens.journey.test_input_and_exits import (  # noqa: F401 - fixture
    journey_kiosk,
    press,
    start,
    to_form,
)


def type_letters(harness: Any, shell: Any, letters: str) -> None:
    for letter in letters:
        press(harness, shell, f"letter:{letter}")


def pick(harness: Any, shell: Any, char: str, pages: int = 20) -> int:
    """Pick ``char`` among the candidates, asking for more pages as a citizen would;
    returns how many times 更多 was pressed."""
    for more in range(pages):
        found = candidates(shell)
        if char in found:
            press(harness, shell, f"cand:{found.index(char)}")
            return more
        press(harness, shell, "cand:more")
    raise AssertionError(f"{char} not offered in {pages} pages")


def test_wang_yan_by_pinyin_and_by_handwriting(
        harness: Any, journey_kiosk: Callable[[str], Kiosk],  # noqa: F811
        shot: Callable[[str], Any]) -> None:
    shell = start(harness, journey_kiosk("township"))
    to_form(harness, shell)
    press(harness, shell, "field:new_address")
    form = shell.current._views["form"]
    type_letters(harness, shell, "wang")
    assert pick(harness, shell, "王") == 0  # common: on the first page
    type_letters(harness, shell, "yan")
    pages = pick(harness, shell, "䶮")
    assert pages >= 1  # rare: after the common ones
    assert form.pending == "王䶮"
    shot("pinyin")
    press(harness, shell, "ime:clear")
    assert form.pending == ""
    press(harness, shell, "ime:hand")
    write(harness, pad_of(shell), "王")
    press(harness, shell, f"cand:{candidates(shell).index('王')}")
    # 䶮 is not in the Simplified Chinese model (GB 2312): the kiosk's own supplement
    # (kiosk/handwriting/rare.py) knows it
    write(harness, pad_of(shell), "䶮")
    assert candidates(shell)[0] == "䶮", candidates(shell)
    press(harness, shell, "cand:0")
    assert form.pending == "王䶮"
    shot("handwriting")
