"""The form's inputs: numeric keypad (numbers, phones, ID numbers with X) and the date
picker (the pinyin input method is :mod:`screens.journey.ime`). No system keyboard
anywhere: each panel calls ``on_value(text)`` as the citizen types."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

from kivy.uix.boxlayout import BoxLayout

from screens.journey.ime import (
    Key,
    action_row,
    editor_height,
    key_height,
    keyboard,
    text_box,
)

if TYPE_CHECKING:
    from screens.journey.parts import StepView


class NumericEditor(BoxLayout):  # type: ignore[misc]
    """The editor of a number, phone or ID number: label, the digits typed so far and a
    3 × 4 keypad (删除 is a word, not a glyph the fonts may lack). Landscape: the keypad
    fills the right of the step at the height it has; portrait: it spans the width."""

    def __init__(self, view: StepView, label: str, help_text: str | None, value: str,
                 on_value: Callable[[str], None], actions: list[Any], *,
                 letter_x: bool = False, decimal: bool = False, max_len: int = 18,
                 **kwargs: Any) -> None:
        t = view.ui.theme
        # The same spacing in both modes: elderly keys are never narrower.
        super().__init__(orientation="horizontal" if t.landscape else "vertical",
                         spacing=t.px(16), **kwargs)
        self.text, self.on_value, self.max_len = value, on_value, max_len
        extra = "X" if letter_x else "." if decimal else ""
        rows: list[list[Key]] = [[(d, d, 1.0) for d in "123"], [(d, d, 1.0) for d in "456"],
                                 [(d, d, 1.0) for d in "789"],
                                 [(extra, extra, 1.0), ("0", "0", 1.0),
                                  ("backspace", view.tr("journey.ime.backspace"), 1.0)]]
        self.shown = view.para(value or " ", "title", "on_surface", True)
        parts: list[Any] = [view.para(label, "heading", "primary", True),
                            text_box(view, self.shown)]
        if help_text:
            parts.append(view.para(help_text, "small", "muted_bg"))
        buttons = action_row(view, actions)
        if t.landscape:
            height = key_height(view, 4, editor_height(view))
            pad = keyboard(view, rows, self.key, key_height=height, max_unit=height * 2.2)
            side = BoxLayout(orientation="vertical", spacing=t.size("gap") * 0.6,
                             size_hint_x=0.42)
            for w in (*parts, BoxLayout(), buttons):
                side.add_widget(w)
            self.add_widget(side)
            right = BoxLayout(orientation="vertical", size_hint_x=0.58)
            right.add_widget(pad)
            right.add_widget(BoxLayout())
            self.add_widget(right)
        else:
            height = t.size("key") * 1.25
            pad = keyboard(view, rows, self.key, key_height=height, max_unit=height * 2.2)
            for w in (*parts, pad, BoxLayout(), buttons):
                self.add_widget(w)
        for key in pad.children:
            value = getattr(key, "key_value", "")
            if value and (value.isdigit() or value in ("X", ".")):
                key.font_size = t.size("title")
                key.action = f"key:{value}"
        self.pad = pad

    def key(self, value: str) -> None:
        if value == "backspace":
            self.text = self.text[:-1]
        elif len(self.text) < self.max_len:
            self.text += value
        self.shown.text = self.text or " "
        self.on_value(self.text)


def date_picker(view: StepView, value: str, on_value: Callable[[str], None],
                today: date) -> BoxLayout:
    """Year, month and day each with big − / + buttons (no scrolling wheels)."""
    t = view.ui.theme
    try:
        current = date.fromisoformat(value)
    except ValueError:
        current = date(1980, 1, 1)
    parts = [current.year, current.month, current.day]
    box = BoxLayout(size_hint_y=None, height=t.target * 1.3, spacing=t.gap)
    labels: list[Any] = []

    def change(i: int, delta: int) -> None:
        y, m, d = parts
        if i == 0:
            y = max(1900, min(today.year + 50, y + delta))
        elif i == 1:
            m = (m - 1 + delta) % 12 + 1
        else:
            d = d + delta
        last = (date(y + (m == 12), m % 12 + 1, 1) - date(y, m, 1)).days
        d = (d - 1) % last + 1 if i == 2 else min(d, last)
        parts[:] = [y, m, d]
        for n, lab in enumerate(labels):
            lab.text = str(parts[n])
        on_value(date(y, m, d).isoformat())

    for i, unit in enumerate(("journey.date.year", "journey.date.month", "journey.date.day")):
        box.add_widget(view.button("−", f"date:{i}:-", partial(change, i, -1),
                                   kind="secondary", width=t.target))
        lab = view.para(str(parts[i]), "heading", bold=True, halign="center", valign="middle")
        lab.size_hint_y = 1
        labels.append(lab)
        box.add_widget(lab)
        box.add_widget(view.para(view.tr(unit), "body", valign="middle"))
        box.add_widget(view.button("+", f"date:{i}:+", partial(change, i, 1),
                                   kind="secondary", width=t.target))
    return box
