"""What every instruction picture drawn with Kivy graphics shares (the ID card on the
reader pad, the phone over the code scanner): something held above the device's window
under the screen, a drop shadow under it and an arrow pointing down to the window.

No image files: the pictures follow the theme's colours and any size.
"""

from __future__ import annotations

from typing import Any, ClassVar

from kivy.graphics import Color, Rectangle, SmoothRoundedRectangle, Triangle
from kivy.properties import ColorProperty
from kivy.uix.widget import Widget


class DevicePicture(Widget):  # type: ignore[misc]
    """A picture redrawn whenever it moves, resizes or one of its colours changes.

    A subclass names its colour properties in ``colours`` and draws in :meth:`paint`,
    which runs inside the canvas and only when the widget has an area.
    """

    ink = ColorProperty("#111827")
    arrow = ColorProperty("#E8A33D")
    colours: ClassVar[tuple[str, ...]] = ("ink", "arrow")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self._draw, size=self._draw, **dict.fromkeys(self.colours, self._draw))

    def _draw(self, *_: Any) -> None:
        self.canvas.clear()
        w, h = self.size
        if w <= 0 or h <= 0:
            return
        x0, y0 = self.pos
        with self.canvas:
            self.paint(x0, y0, w, h)

    def paint(self, x0: float, y0: float, w: float, h: float) -> None:
        raise NotImplementedError

    def down_arrow(self, y0: float, h: float, *, half_shaft: float, shaft_width: float,
                   shaft_height: float, half_head: float) -> None:
        """The arrow from the held thing down to the window, in the middle."""
        Color(*self.arrow)
        ax = self.x + self.width / 2
        Rectangle(pos=(ax - half_shaft, y0 + h * 0.27), size=(shaft_width, shaft_height))
        Triangle(points=[ax - half_head, y0 + h * 0.28, ax + half_head, y0 + h * 0.28,
                         ax, y0 + h * 0.245])


def shadowed_body(colour: Any, x: float, y: float, w: float, h: float, radius: float) -> None:
    """A rounded body with a soft shadow to its lower right (inside a canvas)."""
    Color(0, 0, 0, 0.18)
    SmoothRoundedRectangle(pos=(x + 6, y - 6), size=(w, h), radius=[radius])
    Color(*colour)
    SmoothRoundedRectangle(pos=(x, y), size=(w, h), radius=[radius])
