"""The form's inputs: numeric keypad (numbers, phones, ID numbers with X), date
picker, and the pinyin input method (letters keyboard + candidate bar). No system
keyboard anywhere: each panel calls ``on_value(text)`` as the citizen types."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from screens.journey.pinyin import PAGE, PinyinTable
from screens.widgets import Keyboard

if TYPE_CHECKING:
    from screens.journey.parts import StepView


def key_side(view: StepView) -> float:
    """Key size that fits the keyboard, its candidate bar and the OK row in the lower
    half of the screen (landscape screens are only 1080 px high; elderly keys are big)."""
    t = view.ui.theme
    if not t.landscape:
        return float(t.key)
    # The step's body is about half a landscape screen; the keyboard shares it with the
    # field's title row and the OK row (the candidates sit beside the keyboard).
    return float(min(t.key, (t.height * 0.5 - t.target * 2.25 - t.gap * 2) / 4.4))


def numeric_pad(view: StepView, value: str, on_value: Callable[[str], None], *,
                letter_x: bool = False, decimal: bool = False, max_len: int = 18
                ) -> GridLayout:
    t = view.ui.theme
    k = key_side(view)
    keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9",
            "X" if letter_x else "." if decimal else "", "0", "⌫"]
    grid = GridLayout(cols=3, spacing=t.gap * 0.5, size_hint=(None, None),
                      width=k * 3 * 1.6 + t.gap, height=(k * 1.1 + t.gap * 0.5) * 4)
    text = [value]

    def press(key: str) -> None:
        if key == "⌫":
            text[0] = text[0][:-1]
        elif len(text[0]) < max_len:
            text[0] += key
        on_value(text[0])

    for key in keys:
        if not key:
            grid.add_widget(BoxLayout())
            continue
        grid.add_widget(view.button(key, f"key:{key}", partial(press, key), kind="secondary",
                                    width=k * 1.6, height=k * 1.1, font="title"))
    return grid


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


class ImePanel(BoxLayout):  # type: ignore[misc]
    """Digits and letters keyboard + candidate bar. In 中 mode letters build a pinyin
    syllable and a candidate appends its characters; in 英 mode (codes such as the
    统一社会信用代码) letters go in as capitals. Digits always go in as typed; ⌫
    deletes a letter of the syllable, else a character."""

    def __init__(self, view: StepView, table: PinyinTable, value: str,
                 on_value: Callable[[str], None], *, letters: str = "", chinese: bool = True,
                 **kwargs: Any) -> None:
        t = view.ui.theme
        super().__init__(orientation="horizontal" if t.landscape else "vertical",
                         size_hint_y=None, spacing=t.gap * 0.5, **kwargs)
        self.view, self.table, self.text, self.on_value = view, table, value, on_value
        self.letters = letters
        self.first = 0
        self.chinese = chinese
        k = self.k = key_side(view)
        # Candidates: a row above the keys on a portrait screen, a block beside them on a
        # landscape one (where height is short and width plenty).
        self.bar = GridLayout(rows=1, size_hint_y=None, height=k * 1.1, spacing=t.gap * 0.4) \
            if not t.landscape else GridLayout(cols=4, spacing=t.gap * 0.4, size_hint_y=None)
        if t.landscape:
            self.bar.bind(minimum_height=self.bar.setter("height"))
            left = BoxLayout(orientation="vertical")
            left.add_widget(self.bar)
            left.add_widget(BoxLayout())
            self.add_widget(left)
        else:
            self.add_widget(self.bar)
        keyboard = Keyboard(key_size=k, key_font=t.size("heading"),
                            key_fg=t.colour("on_surface"), special_bg=t.colour("primary"),
                            special_fg=t.colour("on_primary"),
                            clear_text=view.tr("journey.ime.clear"),
                            backspace_text=view.tr("journey.ime.backspace"),
                            rows_of_keys=["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"])
        keyboard.bind(on_key=lambda _k, v: self.key(v))
        keyboard.size_hint_x = None
        keyboard.width = k * 1.1 * 10.5
        self.add_widget(keyboard)
        self.height = keyboard.height + (0 if t.landscape else self.bar.height + t.gap * 0.5)
        self._bar()

    def key(self, value: str) -> None:
        if value == "backspace":
            if self.letters:
                self.letters = self.letters[:-1]
            else:
                self.text = self.text[:-1]
                self.on_value(self.text)
        elif value == "clear":
            self.letters, self.text = "", ""
            self.on_value(self.text)
        elif value.isdigit() or not self.chinese:
            self.letters = ""
            self.text += value.upper()
            self.on_value(self.text)
        else:
            self.letters += value
        self.first = 0
        self._bar()

    def toggle(self) -> None:
        self.chinese, self.letters = not self.chinese, ""
        self._bar()

    def pick(self, text: str) -> None:
        self.text += text
        # A character for the first syllable keeps the letters typed after it.
        self.letters = self.letters[self.table.span(self.letters, text):]
        self.first = 0
        self.chinese = True
        self.on_value(self.text)
        self._bar()

    def _bar(self) -> None:
        v = self.view
        self.bar.clear_widgets()
        self.bar.add_widget(v.button(v.tr("journey.ime.chinese" if self.chinese
                                          else "journey.ime.latin"), "ime:mode", self.toggle,
                                     kind="chosen", width=self.k * 1.2, height=self.k))
        self.bar.add_widget(v.para(self.letters or " ", "heading", "primary", True,
                                   valign="middle", size_hint_x=None, width=self.k * 2.2))
        found = self.table.candidates(self.letters) if self.letters else []
        page = found[self.first:self.first + PAGE]
        for i, cand in enumerate(page):
            self.bar.add_widget(v.button(cand, f"cand:{i}", partial(self.pick, cand),
                                         kind="secondary", width=self.k * max(1, len(cand)),
                                         height=self.k, font="heading"))
        if len(found) > self.first + PAGE:
            self.bar.add_widget(v.button("▶", "cand:more", self._more, kind="secondary",
                                         width=self.k, height=self.k))

    def _more(self) -> None:
        self.first += PAGE
        self._bar()
