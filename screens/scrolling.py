"""The scrolling list every screen uses: clipped by the scissor test, not a stencil.

Kivy's ScrollView is a StencilView: each frame it draws its whole rectangle into the
stencil buffer before its content and once more after it. On the kiosk's software
renderer a frame's cost is the pixels it touches, and a step's list covers a quarter
of the screen, so those two passes were more than a third of everything a form step
drew. The scissor test clips to a rectangle for free.

The scissor rectangle is in window pixels, so it is worked out when the frame is
drawn (from the view's place in the window at that moment: a screen that moved
inside the shell moves its clip with it), not when the view last moved in its parent.
The layout audit still treats the view as a clipping ancestor (it is a StencilView).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.graphics import Callback, ScissorPop, ScissorPush
from kivy.lang import Builder
from kivy.uix.scrollview import ScrollView

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class KScroll(ScrollView):  # type: ignore[misc]
    """A ScrollView clipped with the scissor test (see the module's text)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._scissor = ScissorPush(x=0, y=0, width=0, height=0)
        self.canvas.before.insert(0, self._scissor)
        self.canvas.before.insert(0, Callback(self._clip))
        self.canvas.after.insert(0, ScissorPop())

    def _clip(self, *_: Any) -> None:
        """Called while the frame is drawn, just before the scissor is pushed."""
        x, y = self.to_window(self.x, self.y)
        rect = (round(x), round(y), max(0, round(self.width)), max(0, round(self.height)))
        s = self._scissor
        if (s.x, s.y, s.width, s.height) != rect:
            s.x, s.y, s.width, s.height = rect
