"""Elderly mode (长辈版) on every screen, in both orientations: every touch target at
least 60×60 dp and all text at least 18 dp (dp scaled for the kiosk screen, see
screens/theme.py). Contrast is checked on the palette in test_theme.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kiosk.wiring.build import Kiosk
from screens.walk import steps

from .helpers import buttons, labels

pytestmark = pytest.mark.ui

MIN_TARGET_DP = 60
MIN_TEXT_DP = 18


def _text_sizes(label: Any) -> list[float]:
    sizes = [float(label.font_size)]
    for attr in ("title_size", "subtitle_size", "meta_size"):  # markup sizes of tiles/rows
        if hasattr(label, attr):
            sizes.append(float(getattr(label, attr)))
    return sizes


@pytest.mark.parametrize("site", ["township", "bank-branch"])
def test_elderly_mode_targets_and_text(harness: Any, make_kiosk: Callable[..., Kiosk],
                                       site: str, shot: Callable[[str], Any]) -> None:
    kiosk = make_kiosk(site)
    shell = harness.show(kiosk)
    shell.ui.elderly = True
    scale = shell.ui.theme.scale
    small: list[str] = []
    tiny: list[str] = []
    for name, action in steps(kiosk):
        action(shell)
        harness.render()
        for button in buttons(shell):
            w, h = button.width / scale, button.height / scale
            if w < MIN_TARGET_DP - 0.5 or h < MIN_TARGET_DP - 0.5:
                small.append(f"{name}: {button.text[:20]!r} {w:.0f}×{h:.0f} dp")
        for label in labels(shell):
            size = min(_text_sizes(label)) / scale
            if size < MIN_TEXT_DP - 0.01:
                tiny.append(f"{name}: {label.text[:20]!r} {size:.1f} dp")
        if name in ("home", "guide", "search-gjj"):
            shot(name)
    assert not small, f"touch targets under {MIN_TARGET_DP} dp: {small}"
    assert not tiny, f"text under {MIN_TEXT_DP} dp: {tiny}"


def test_no_popups_anywhere(harness: Any, make_kiosk: Callable[..., Kiosk]) -> None:
    from kivy.core.window import Window
    from kivy.uix.modalview import ModalView
    kiosk = make_kiosk()
    shell = harness.show(kiosk)
    for _name, action in steps(kiosk):
        action(shell)
        harness.render()
        assert not [w for w in Window.children if isinstance(w, ModalView)]
