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
