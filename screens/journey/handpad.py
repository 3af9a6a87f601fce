"""手写输入: a pad to write a character on with a finger; the strokes go to the
recognizer (kiosk/handwriting) after each one and its candidates fill the input
method's candidate row. The strokes live in memory only and are wiped with the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.graphics import Color, Line, Rectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.handwriting.ink import Ink
from screens.widgets import KButton

#: The recognizer's canvas: strokes are scaled to this many units per side.
PAD_UNITS = 300


class HandPad(Widget):  # type: ignore[misc]
    """A square of paper with a 田字格 guide; ``on_ink(ink)`` after every stroke."""

    def __init__(self, on_ink: Callable[[Ink], None], *, ink_colour: Any, paper: Any,
                 guide: Any, stroke_width: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ink = Ink(PAD_UNITS, PAD_UNITS)
        self._on_ink = on_ink
        self._colours = (ink_colour, paper, guide)
        self._width = stroke_width
        self._touch: Any = None
        self.bind(pos=self.redraw, size=self.redraw)

    # -- geometry: the pad is the largest square that fits, centred -------------------
    def _square(self) -> tuple[float, float, float]:
        side = min(self.width, self.height)
        return self.center_x - side / 2, self.center_y - side / 2, side

    def _to_units(self, x: float, y: float) -> tuple[float, float]:
        left, bottom, side = self._square()
        return (x - left) / side * PAD_UNITS, (bottom + side - y) / side * PAD_UNITS

    def _to_screen(self, ux: float, uy: float) -> tuple[float, float]:
        left, bottom, side = self._square()
        return left + ux / PAD_UNITS * side, bottom + side - uy / PAD_UNITS * side

    # -- touches ----------------------------------------------------------------------
    def _inside(self, touch: Any) -> bool:
        left, bottom, side = self._square()
        return bool(left <= touch.x <= left + side and bottom <= touch.y <= bottom + side)

    def on_touch_down(self, touch: Any) -> bool:
        if not self._inside(touch):
            return bool(super().on_touch_down(touch))
        if self.ink.begin(*self._to_units(touch.x, touch.y)):
            self._touch = touch
            touch.grab(self)
            self.redraw()
        return True

    def on_touch_move(self, touch: Any) -> bool:
        if touch.grab_current is self and touch is self._touch:
            self.ink.move(*self._to_units(touch.x, touch.y))
            self.redraw()
            return True
        return bool(super().on_touch_move(touch))

    def on_touch_up(self, touch: Any) -> bool:
        if touch.grab_current is self and touch is self._touch:
            touch.ungrab(self)
            self._touch = None
            self.ink.end()
            self.redraw()
            self._on_ink(self.ink)
            return True
        return bool(super().on_touch_up(touch))

    # -- editing ----------------------------------------------------------------------
    def undo(self) -> None:
        self.ink.undo()
        self.redraw()
        self._on_ink(self.ink)

    def clear(self) -> None:
        self.ink.clear()
        self.redraw()
        self._on_ink(self.ink)

    def redraw(self, *_: Any) -> None:
        ink_colour, paper, guide = self._colours
        left, bottom, side = self._square()
        self.canvas.clear()
        with self.canvas:
            Color(*paper)
            Rectangle(pos=(left, bottom), size=(side, side))
            Color(*guide)
            Line(rectangle=(left, bottom, side, side), width=1.5)
            Line(points=[left + side / 2, bottom, left + side / 2, bottom + side],
                 width=1, dash_length=8, dash_offset=6)
            Line(points=[left, bottom + side / 2, left + side, bottom + side / 2],
                 width=1, dash_length=8, dash_offset=6)
            Color(*ink_colour)
            for stroke in self.ink.strokes:
                points = [c for p in stroke for c in self._to_screen(*p)]
                if len(points) == 2:
                    points += points
                Line(points=points, width=self._width, cap="round", joint="round")


def hand_panel(view: Any, pad: HandPad) -> BoxLayout:
    """The pad with 撤销一笔 and 重写 beside it (landscape) or below it (portrait); the
    input method's 键盘 button goes back to the keys."""
    t = view.ui.theme
    # Landscape is short: the buttons stand beside the pad so it gets the full height.
    panel = BoxLayout(orientation="horizontal" if t.landscape else "vertical",
                      spacing=t.size("gap") * 0.6)
    panel.add_widget(pad)
    row = BoxLayout(orientation="vertical" if t.landscape else "horizontal",
                    spacing=t.size("gap"))
    if t.landscape:
        row.size_hint_x, row.width = None, t.size("target") * 2.6
    else:
        row.size_hint_y, row.height = None, t.size("target") * 1.1
    for key, action, press in (("journey.hand.undo", "hand:undo", pad.undo),
                               ("journey.hand.clear", "hand:clear", pad.clear)):
        b: KButton = view.button(view.tr(key), action, press, kind="secondary",
                                 height=t.size("target") * 1.1)
        b.size_hint_x = 1
        row.add_widget(b)
    if t.landscape:
        row.add_widget(BoxLayout())  # the buttons at the top
    panel.add_widget(row)
    return panel
