"""The offscreen harness behaves like a window on a display: a frame's GL work is done
when the frame ends, so textures deleted by redrawn labels give their memory back."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from scripts.benchmarks.common import rss_mb

pytestmark = pytest.mark.ui



def test_a_label_redrawn_at_many_sizes_does_not_grow_the_process(harness: Any) -> None:
    """Each new text length is a new texture and the old one is deleted. Offscreen,
    without the end-of-frame finish, Mesa kept every deleted texture's memory: 400
    redraws of this label grew the process by about 37 MB (a journey by a GB)."""
    from kivy.core.window import Window
    from kivy.uix.label import Label
    label = Label(text="1", font_size=60, size_hint=(None, None), size=(800, 120))
    Window.add_widget(label)
    try:
        harness.render()
        before = rss_mb()
        for i in range(400):
            label.text = "1" * (1 + i % 17)
            harness.render(1)
        gc.collect()
        harness.render()
        assert rss_mb() - before < 12
    finally:
        Window.remove_widget(label)


def test_a_still_frame_redraws_an_unchanged_window_and_is_timed_after_every_tap() -> None:
    """The journey bench's floor for a tap: the same screen drawn again, nothing
    changed. It must really draw (an idle frame of an unchanged window draws nothing),
    and come once per tap, after the tap's own frames."""
    from kivy.base import EventLoop
    from kivy.core.window import Window
    from kivy.uix.button import Button

    from screens.harness import Harness
    h = Harness(still_frames=True)
    presses: list[int] = []
    button = Button(text="ok", size_hint=(None, None), size=(300, 120), pos=(40, 40),
                    on_release=lambda *_: presses.append(1))
    draws: list[int] = []

    def count(*_: Any) -> None:
        draws.append(1)
    Window.add_widget(button)
    Window.bind(on_draw=count)
    try:
        h.render()
        draws.clear()
        EventLoop.idle()
        assert draws == []  # unchanged: Kivy draws nothing
        assert h.still_frame() > 0
        assert draws == [1]
        assert h.still_frame_s == []
        for _ in range(3):
            h.tap(button)
        assert presses == [1, 1, 1]
        assert h.still_frame_s is not None and len(h.still_frame_s) == 3
        assert all(s > 0 for s in h.still_frame_s)
    finally:
        Window.unbind(on_draw=count)
        Window.remove_widget(button)
