"""The pinyin input method of the form: the field's text, a scrollable candidate
list and a letters-and-digits keyboard whose keys are sized from the width they get.

Portrait (bank branch, 1080 px wide): label, text, candidate row, then the keys across
the whole width and 返回 / 完成 below. Landscape (1080 px high): the keys take the right
two thirds at full height; the label, the text, the candidates (a grid) and 返回 / 完成
stand in the column on their left. Keys never leave the screen: :class:`KeyRows` fits
ten key widths into whatever width it has, and in elderly mode its keys are taller and
their type bigger (never smaller than in standard mode).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from kivy.graphics import Color, SmoothLine, SmoothRoundedRectangle
from kivy.properties import NumericProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.layout import Layout
from kivy.uix.scrollview import ScrollView
from kivy.uix.stacklayout import StackLayout
from kivy.uix.widget import Widget
from kivy.utils import escape_markup

from screens.journey.handpad import HandPad, hand_panel
from screens.journey.pinyin import PinyinTable
from screens.scrolling import KScroll
from screens.widgets import KButton

if TYPE_CHECKING:
    from screens.journey.parts import StepView

#: Candidates offered in the scrollable list (the first page is what fits on screen).
CANDIDATES = 32

#: One key: (value sent, label shown, width in key units). Values are lower-case
#: letters, digits, "backspace", "clear" or "mode".
Key = tuple[str, str, float]


class KeyRows(Layout):  # type: ignore[misc]
    """Rows of keys, each row centred; a key unit is the widest row's share of the
    width (capped at ``max_unit``), so the keyboard always fits inside its parent."""

    key_height = NumericProperty(96)
    max_unit = NumericProperty(120)
    gap = NumericProperty(8)

    def __init__(self, rows: Sequence[Sequence[tuple[KButton, float]]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows = [list(r) for r in rows]
        for row in self.rows:
            for key, _units in row:
                self.add_widget(key)
        self.bind(size=self._trigger_layout, pos=self._trigger_layout,
                  key_height=self._trigger_layout, max_unit=self._trigger_layout)

    @property
    def unit(self) -> float:
        widest = max((sum(u for _k, u in row), len(row)) for row in self.rows)
        return float(min(self.max_unit, (self.width - self.gap * (widest[1] - 1)) / widest[0]))

    def minimum_rows_height(self) -> float:
        return float(len(self.rows) * self.key_height + (len(self.rows) - 1) * self.gap)

    def do_layout(self, *_: Any) -> None:
        unit = self.unit
        h = self.key_height
        block = self.minimum_rows_height()
        top = self.y + (self.height + block) / 2
        for n, row in enumerate(self.rows):
            width = sum(u * unit for _k, u in row) + self.gap * (len(row) - 1)
            x = self.x + (self.width - width) / 2
            y = top - (n + 1) * h - n * self.gap
            for key, units in row:
                key.size_hint = (None, None)
                key.size = (units * unit, h)
                key.pos = (x, y)
                if getattr(key, "fit_font", 0):
                    key.font_size = fit_font(key.text, key.width, key.fit_font)
                x += units * unit + self.gap


def fit_font(text: str, width: float, largest: float) -> float:
    """A font size at which ``text`` stays on one line in ``width`` (words on keys:
    删除, Delete, Clear), never larger than ``largest``."""
    ems = sum(1.0 if ord(c) >= 0x2E80 else 0.62 for c in text) or 1.0
    return float(min(largest, (width - 20) / ems))


def letter_rows(mode_label: str, backspace: str, clear: str) -> list[list[Key]]:
    """Digits, QWERTY and the editing keys: ten units in every row."""
    return [
        [(c, c, 1.0) for c in "1234567890"],
        [(c, c.upper(), 1.0) for c in "qwertyuiop"],
        [*[(c, c.upper(), 1.0) for c in "asdfghjkl"], ("mode", mode_label, 1.0)],
        [*[(c, c.upper(), 1.0) for c in "zxcvbnm"], ("backspace", backspace, 1.5),
         ("clear", clear, 1.5)],
    ]


def keyboard(view: StepView, rows: list[list[Key]], press: Callable[[str], None], *,
             key_height: float, max_unit: float) -> KeyRows:
    t = view.ui.theme
    built: list[list[tuple[KButton, float]]] = []
    for row in rows:
        line = []
        for value, label, units in row:
            if not value:  # an empty place in the grid
                line.append((Widget(), units))
                continue
            special = value in ("backspace", "clear", "mode")
            key = KButton(text=label, bg=t.colour("primary" if special else "surface"),
                          fg=t.colour("on_primary" if special else "on_surface"),
                          border_colour=t.colour("border"), radius=t.radius * 0.6,
                          font_size=t.size("heading") if not special else t.size("button"),
                          min_target=t.size("target"), bold=special)
            key.fit_font = t.size("button") if special else 0
            key.key_value = value
            key.action = f"ime:{value}" if special else f"letter:{value}"
            key.bind(on_release=lambda b: press(b.key_value))
            line.append((key, units))
        built.append(line)
    return KeyRows(built, key_height=key_height, max_unit=max_unit, gap=key_gap(view),
                   size_hint_y=None,
                   height=len(rows) * key_height + (len(rows) - 1) * key_gap(view))


def key_gap(view: StepView) -> float:
    """The same gap in both modes, so that elderly keys are never narrower."""
    return float(view.ui.theme.px(8))


def key_height(view: StepView, rows: int, available: float, *, side: float | None = None
               ) -> float:
    """Key height: ``side`` (default the theme's key side, taller in elderly mode), less
    where the screen is short, but never below 60 dp (the elderly minimum target)."""
    t = view.ui.theme
    fit = (available - key_gap(view) * (rows - 1)) / rows
    return float(max(t.px(60), min(side or t.size("key"), fit)))


def candidate_side(view: StepView) -> float:
    t = view.ui.theme
    return float(t.size("target") * (1.0 if t.landscape else 1.05))


def action_row(view: StepView, actions: list[KButton]) -> BoxLayout:
    """返回 / 完成 side by side, as wide as the column (a little lower on landscape)."""
    t = view.ui.theme
    row = BoxLayout(size_hint_y=None, spacing=t.size("gap"),
                    height=t.size("target") * (1.0 if t.landscape else 1.05))
    for b in actions:
        b.size_hint_x = 1
        b.height = row.height
        row.add_widget(b)
    return row


def text_box(view: StepView, shown: Any) -> BoxLayout:
    """A white, outlined box around the text typed so far (it grows with the text)."""
    t = view.ui.theme
    box = BoxLayout(orientation="vertical", size_hint_y=None, padding=t.size("gap") * 0.6)
    # One line high also while empty (the field was just cleared, or not typed in yet).
    line = shown.font_size * 1.35 + 2 * t.size("gap") * 0.6
    box.bind(minimum_height=lambda b, h: setattr(b, "height", max(h, line)))
    box.height = line
    box.add_widget(shown)
    with box.canvas.before:
        Color(*t.colour("surface"))
        bg = SmoothRoundedRectangle(radius=[t.radius])
        Color(*t.colour("primary"))
        edge = SmoothLine(width=2)

    def frame(w: Any, *_: Any) -> None:
        bg.pos, bg.size = w.pos, w.size
        edge.rounded_rectangle = (w.x, w.y, w.width, w.height, t.radius)

    box.bind(pos=frame, size=frame)
    return box


def editor_height(view: StepView) -> float:
    """Height a step's editor gets on a landscape screen: the body between the journey's
    progress row and the shell's bar (the same arithmetic as shell.kv and host.kv)."""
    t = view.ui.theme
    chrome = (t.size("header") + t.px(t.sizes.heading * 1.9) + t.size("nav") + t.px(16)
              + 2 * t.size("pad") + t.size("target") + t.size("gap"))
    return float(t.height - chrome)


class ImePanel(BoxLayout):  # type: ignore[misc]
    """The whole editor of a free-text field. In 中 mode letters build a pinyin syllable
    (shown after the text, in the brand colour) and a candidate appends its characters;
    in 英 mode (codes such as the 统一社会信用代码) letters go in as capitals. Digits
    always go in as typed; 删除 takes a letter of the syllable, else a character."""

    def __init__(self, view: StepView, table: PinyinTable, label: str, value: str,
                 on_value: Callable[[str], None], actions: list[KButton], *,
                 letters: str = "", chinese: bool = True, recognizer: Any = None,
                 **kwargs: Any) -> None:
        t = view.ui.theme
        # The same spacing in both modes: elderly keys are never narrower.
        super().__init__(orientation="horizontal" if t.landscape else "vertical",
                         spacing=t.px(16 if t.landscape else 10), **kwargs)
        self.view, self.table, self.text, self.on_value = view, table, value, on_value
        self.letters, self.chinese = letters, chinese
        # Landscape is short: the label and the text a size smaller than on portrait.
        self.label = view.para(label, "body" if t.landscape else "heading", "primary", True)
        self.shown = view.para("", "heading" if t.landscape else "title", "on_surface",
                               markup=True)
        box = text_box(view, self.shown)
        self.cands, self.grid = self._candidate_area(view)
        self._cand_buttons: list[KButton] = []
        self._more_button: KButton | None = None
        self._found: list[str] = []
        #: 手写: the recognizer (None: no pad), the pad while it is open
        self.recognizer = recognizer
        self.pad: HandPad | None = None
        self._hand_found: list[str] = []
        #: how many pinyin candidates are offered, and for which letters
        self._shown, self._shown_for = CANDIDATES, ""
        if recognizer is not None:  # 手写 / 键盘 beside 返回 and 完成
            self.hand_button = view.button(view.tr("journey.ime.hand"), "ime:hand",
                                           self.toggle_pad, kind="secondary")
            actions = [actions[0], self.hand_button, *actions[1:]]
        buttons = action_row(view, actions)
        rows = letter_rows(view.tr("journey.ime.chinese"), view.tr("journey.ime.backspace"),
                           view.tr("journey.ime.clear"))
        if t.landscape:
            keys_h = key_height(view, len(rows), editor_height(view))
            self.keys = keyboard(view, rows, self.key, key_height=keys_h,
                                 max_unit=t.size("key") * 1.25)
            side = BoxLayout(orientation="vertical", spacing=t.size("gap") * 0.6,
                             size_hint_x=0.4)
            for w in (self.label, box, self.cands, buttons):
                side.add_widget(w)
            right = BoxLayout(orientation="vertical", size_hint_x=0.6)
            right.add_widget(self.keys)
            self._spacer = BoxLayout()
            right.add_widget(self._spacer)
            self.add_widget(side)
            self.add_widget(right)
        else:
            self.keys = keyboard(view, rows, self.key, key_height=t.size("key") * 1.1,
                                 max_unit=t.size("key") * 1.25)
            self._spacer = BoxLayout()
            for w in (self.label, box, self.cands, self.keys, self._spacer, buttons):
                self.add_widget(w)
                w.bind(height=self._fit_keys)
            self.bind(height=self._fit_keys)
        self._refresh()

    def _fit_keys(self, *_: Any) -> None:
        """Portrait: the keys as tall as the theme wants, less when the screen has less
        room (a bank branch's long name in large English type above the step)."""
        if self.height <= 100 or self.keys.parent is not self:  # not laid out; the pad
            return
        t = self.view.ui.theme
        fixed = sum(w.height for w in self.children if w not in (self.keys, self._spacer))
        room = self.height - fixed - self.spacing * (len(self.children) - 1)
        rows = len(self.keys.rows)
        h = key_height(self.view, rows, room, side=t.size("key") * 1.1)
        if abs(h - self.keys.key_height) > 0.5:
            self.keys.key_height = h
            self.keys.height = rows * h + (rows - 1) * self.keys.gap

    def _candidate_area(self, view: StepView) -> tuple[ScrollView, Layout]:
        t = view.ui.theme
        side = candidate_side(view)
        grid: Layout
        if t.landscape:
            # Candidates flow in lines (phrases are wider than characters) and scroll.
            grid = StackLayout(size_hint_y=None, spacing=t.size("gap") * 0.4)
            grid.bind(minimum_height=grid.setter("height"))
            sv = KScroll(do_scroll_x=False, bar_width=t.size("gap") * 0.5,
                            bar_inactive_color=t.colour("border"))
        else:
            grid = GridLayout(rows=1, size_hint=(None, None), height=side,
                              spacing=t.size("gap") * 0.4)
            grid.bind(minimum_width=grid.setter("width"))
            sv = KScroll(do_scroll_y=False, size_hint_y=None,
                            height=side + t.size("gap") * 0.8,
                            bar_width=t.size("gap") * 0.5, bar_pos_x="bottom",
                            bar_inactive_color=t.colour("border"))
        sv.add_widget(grid)
        return sv, grid

    # -- typing -------------------------------------------------------------------
    def key(self, value: str) -> None:
        if value == "mode":
            self.chinese, self.letters = not self.chinese, ""
        elif value == "backspace":
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
        self._refresh()

    # -- handwriting -------------------------------------------------------------
    def toggle_pad(self) -> None:
        """手写 opens the pad; the same button, then named 键盘, goes back to the keys."""
        if self.pad is None:
            self.open_pad()
        else:
            self.close_pad()

    def open_pad(self, ink: Any = None) -> None:
        """The keys give way to the pad (same place, as tall as the room allows);
        ``ink``: strokes to keep (the editor rebuilt for a language or size switch)."""
        v, t = self.view, self.view.ui.theme
        self.letters = ""
        self.pad = HandPad(self._inked, ink_colour=t.colour("on_surface"),
                           paper=t.colour("surface"), guide=t.colour("border"),
                           stroke_width=max(2.0, t.px(5)))
        if ink is not None:
            self.pad.ink.strokes = [list(s) for s in ink.strokes]
        panel = hand_panel(v, self.pad)
        self.hand_button.text = v.tr("journey.hand.keys")
        # The pad takes the keys' place and the room below them, whatever the header
        # leaves (a bank's long name in English large text takes three lines).
        self._spacer_parent = self._spacer.parent
        if self._spacer.parent is not None:
            self._spacer_index = self._spacer.parent.children.index(self._spacer)
            self._spacer.parent.remove_widget(self._spacer)
        self._swap(self.keys, panel)
        if ink is not None:
            self._inked(self.pad.ink)
        self._refresh()

    def close_pad(self) -> None:
        if self.pad is not None:
            self.pad.ink.clear()  # strokes are personal data: nothing is kept
            self._swap(self.pad.parent, self.keys)
            holder = getattr(self, "_spacer_parent", None)
            if holder is not None and self._spacer.parent is None:
                holder.add_widget(self._spacer, index=self._spacer_index)
            self.pad = None
            self._hand_found = []
            self.hand_button.text = self.view.tr("journey.ime.hand")
            self._refresh()

    def _swap(self, old: Any, new: Any) -> None:
        if old is None or old.parent is None:
            return
        parent = old.parent
        index = parent.children.index(old)
        parent.remove_widget(old)
        parent.add_widget(new, index=index)

    def _inked(self, ink: Any) -> None:
        self._hand_found = self.recognizer.candidates(ink, n=CANDIDATES) if not ink.empty \
            and self.recognizer is not None else []
        self._refresh()

    def more(self) -> None:
        """The next page of candidates for the syllable typed."""
        self._shown += CANDIDATES
        self._refresh()

    def _candidate_button(self, i: int) -> KButton:
        """The i-th candidate's button: made once per editor and given each new text
        (a letter typed re-labels the row; it does not build 32 new buttons)."""
        while len(self._cand_buttons) <= i:
            n = len(self._cand_buttons)
            side = candidate_side(self.view)
            self._cand_buttons.append(self.view.button("", f"cand:{n}", partial(self._pick_at, n),
                                                       kind="secondary", width=side,
                                                       height=side, font="heading"))
        return self._cand_buttons[i]

    def _pick_at(self, i: int) -> None:
        if i < len(self._found):
            self.pick(self._found[i])

    def pick(self, text: str) -> None:
        if self.pad is not None:  # a written character: the pad is ready for the next one
            self.text += text
            self.pad.clear()
            self.on_value(self.text)
            return
        self.text += text
        # A character for the first syllable keeps the letters typed after it.
        self.letters = self.letters[self.table.span(self.letters, text):]
        self.on_value(self.text)
        self._refresh()

    # -- showing ------------------------------------------------------------------
    def _refresh(self) -> None:
        v, t = self.view, self.view.ui.theme
        typed = escape_markup(self.text)
        composing = f"[color={_hex(t.colour('primary'))}][u]{escape_markup(self.letters)}" \
                    f"[/u][/color]" if self.letters else ""
        self.shown.text = f"{typed}{composing}" or " "
        for key in self.keys.children:
            if getattr(key, "key_value", None) == "mode":
                key.text = v.tr("journey.ime.chinese" if self.chinese else "journey.ime.latin")
        self.grid.clear_widgets()
        more = False
        if self.pad is not None:
            found = list(self._hand_found)
        else:
            if self.letters != self._shown_for:  # a new syllable: its first page again
                self._shown_for, self._shown = self.letters, CANDIDATES
            found = self.table.candidates(self.letters, limit=self._shown + 1) \
                if self.letters else []
            more, found = len(found) > self._shown, found[:self._shown]
        side = candidate_side(v)
        self._found = found
        for i, cand in enumerate(found):
            b = self._candidate_button(i)
            b.text = cand
            b.width = max(side, t.size("heading") * (len(cand) + 0.8))
            self.grid.add_widget(b)
        if more:  # rarer characters of the reading (䶮 of 王䶮): a page at a time
            if self._more_button is None:
                self._more_button = v.button(v.tr("journey.ime.more"), "cand:more", self.more,
                                             kind="primary", height=side, font="body",
                                             width=max(side * 1.6, t.size("body") * 4))
            self.grid.add_widget(self._more_button)
        # A new syllable shows its first candidates, a further page its first new one.
        first_new = self._shown - CANDIDATES
        if first_new > 0 and first_new < len(self.grid.children):
            self.cands.scroll_to(self.grid.children[::-1][first_new], padding=0,
                                 animate=False)
        elif t.landscape:
            self.cands.scroll_y = 1
        else:
            self.cands.scroll_x = 0


def _hex(rgba: Sequence[float]) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgba[:3])
