"""The lists' scissor clip (screens.scrolling.KScroll), read back from drawn pixels.

A list shows its content inside its own rectangle and nothing of it outside, in the
window and in the harness's screenshots, and the clip follows the list when the
screen holding it moves (the scissor rectangle is in window pixels, worked out when
the frame is drawn).
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.ui

RED = (255, 0, 0)


def pixel(texture: Any, x: int, y: int) -> tuple[int, int, int]:
    """The colour at window pixel (x, y) (bottom-left origin) of an exported frame."""
    width = texture.size[0]
    i = (y * width + x) * 4
    data = texture.pixels
    return data[i], data[i + 1], data[i + 2]


@pytest.fixture
def stage(harness: Any) -> Any:
    """A window-sized root holding a relative layout (as a Screen is) at (100, 200) with
    a list at (50, 50), 300 x 200 inside it, its content a red block 1000 px tall."""
    from kivy.core.window import Window
    from kivy.graphics import Color, Rectangle
    from kivy.uix.floatlayout import FloatLayout
    from kivy.uix.relativelayout import RelativeLayout
    from kivy.uix.widget import Widget

    from screens.scrolling import KScroll

    harness.close_shell()
    Window.clearcolor = (1, 1, 1, 1)
    root = FloatLayout(size=Window.size, size_hint=(None, None), pos=(0, 0))
    screen = RelativeLayout(pos=(100, 200), size=(600, 600), size_hint=(None, None))
    view = KScroll(pos=(50, 50), size=(300, 200), size_hint=(None, None), do_scroll_x=False)
    content = Widget(size_hint=(1, None), height=1000)
    with content.canvas:
        Color(1, 0, 0, 1)
        block = Rectangle(size=(300, 1000))
    content.bind(pos=lambda w, pos: setattr(block, "pos", pos))
    view.add_widget(content)
    screen.add_widget(view)
    root.add_widget(screen)
    Window.add_widget(root)
    harness.render()
    yield root, screen
    Window.remove_widget(root)


def test_a_list_shows_its_content_inside_its_rectangle_only(harness: Any, stage: Any) -> None:
    root, _screen = stage
    frame = harness.export(root)
    # The list is at window (150, 250) .. (450, 450).
    assert pixel(frame, 300, 350) == RED
    assert pixel(frame, 151, 251) == RED and pixel(frame, 440, 448) == RED
    # The red block runs 1000 px tall from the list's bottom: clipped above the list,
    # and to its right and left nothing of it either.
    assert pixel(frame, 300, 460) != RED
    assert pixel(frame, 300, 900) != RED
    assert pixel(frame, 140, 300) != RED and pixel(frame, 460, 300) != RED


def test_the_clip_follows_the_screen_that_moves(harness: Any, stage: Any) -> None:
    root, screen = stage
    harness.render()
    screen.pos = (700, 100)  # the list's own position in its screen is unchanged
    harness.render()
    frame = harness.export(root)
    # Now at window (750, 150) .. (1050, 350).
    assert pixel(frame, 900, 250) == RED
    assert pixel(frame, 900, 360) != RED
    assert pixel(frame, 300, 350) != RED  # nothing left where it was
