"""Reusable widgets of the touch shell: buttons and tiles, text blocks, the
on-screen keyboard and the ID card picture. Looks live in ``widgets.kv``;
widgets get colours and sizes as properties from the screen that uses them.
Every text widget draws with the font fallback chain and breaks lines by the
禁则 rules (``screens.richtext``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.graphics import Color, Line, Rectangle, SmoothLine, SmoothRoundedRectangle
from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    ListProperty,
    NumericProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from screens.pictures import DevicePicture, shadowed_body
from screens.richtext import FallbackText
from screens.scrolling import KScroll  # noqa: F401  (registered for the .kv files)


def load_kv(path: str | Path) -> None:
    """Load a .kv file once (screens load theirs on first use)."""
    name = str(Path(path).resolve())
    if name not in Builder.files:
        Builder.load_file(name)


class KButton(ButtonBehavior, FallbackText, Label):  # type: ignore[misc]
    """A big, flat, rounded button. Its size is at least ``min_target`` both ways."""

    bg = ColorProperty("#1F5FAF")
    fg = ColorProperty("#FFFFFF")
    border_colour = ColorProperty((0, 0, 0, 0))
    radius = NumericProperty(12)
    min_target = NumericProperty(84)


class Tile(KButton):
    """A home or browse tile: a title and a smaller subtitle."""

    title = StringProperty("")
    subtitle = StringProperty("")
    title_size = NumericProperty(40)
    subtitle_size = NumericProperty(26)
    stripe = ColorProperty((0, 0, 0, 0))
    #: room kept above and below the text when a tile grows to fit it
    fit_pad = NumericProperty(24)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._floor = float(self.height)  # the height its screen gave it

    def on_texture_size(self, *_: Any) -> None:
        # Tiles of fixed height (size_hint_y None) grow to their text rather than let a
        # long title (a department's English name) spill over the tiles around them;
        # the tiles of one grid grow together, so its rows stay even.
        parent = self.parent
        tiles = [self] if parent is None else [
            c for c in parent.children if isinstance(c, Tile) and c.size_hint_y is None]
        if self.size_hint_y is not None or self not in tiles:
            return
        need = max(t.texture_size[1] + t.fit_pad for t in tiles)
        for tile in tiles:
            tile.height = max(getattr(tile, "_floor", 0.0), need)

    def on_parent(self, *_: Any) -> None:
        self.on_texture_size()


class ItemRow(KButton):
    """One service item in a list: name, department and a badge."""

    title = StringProperty("")
    meta = StringProperty("")
    badge = StringProperty("")
    badge_bg = ColorProperty((0, 0, 0, 0))
    badge_fg = ColorProperty("#FFFFFF")
    title_size = NumericProperty(30)
    meta_size = NumericProperty(24)


class Para(FallbackText, Label):  # type: ignore[misc]
    """A paragraph that wraps to its width and grows to its text."""


class Text(FallbackText, Label):  # type: ignore[misc]
    """A plain label with fallback fonts and 禁则 breaks (kv ``Label:`` builds one)."""


class StepBar(Widget):  # type: ignore[misc]
    """How far the journey has come, with the steps' names: one segment per step (the
    finished ones filled, the current one taller, the steps to come thin and grey) and
    under them the names, neighbours of the same name (pages of several materials)
    sharing one caption. The current name is bold, so colour is never the only sign;
    the words "第3步，共9步" stand beside the bar.

    The captions are built once per journey plan and then only restyled, so moving on
    a step costs no new widgets.
    """

    labels = ListProperty([])         # one name per step
    current = NumericProperty(0)      # 0-based
    done_colour = ColorProperty("#1F5FAF")
    todo_colour = ColorProperty("#C8CDD5")
    text_colour = ColorProperty("#4B5563")
    font_size = NumericProperty(18)
    bar_height = NumericProperty(14)
    gap = NumericProperty(6)
    wanted = NumericProperty(0)       # the height the bar and a line of names need

    def __init__(self, **kwargs: Any) -> None:
        self._captions: list[tuple[Text, int, int]] = []   # (caption, first step, end)
        self._top = 0.0
        super().__init__(**kwargs)
        self.bind(labels=self._rebuild, font_size=self._rebuild)
        self.bind(pos=self._layout, size=self._layout, current=self._restyle,
                  done_colour=self._restyle, todo_colour=self._restyle,
                  text_colour=self._restyle, bar_height=self._layout, gap=self._layout)
        self._rebuild()

    @property
    def captions(self) -> list[str]:
        """The names shown under the bar, in order (for tests and the voice)."""
        return [c.text for c, _, _ in self._captions]

    @staticmethod
    def groups(labels: list[str]) -> list[tuple[str, int, int]]:
        """Runs of equal neighbouring names: (name, first step, one past the last)."""
        out: list[tuple[str, int, int]] = []
        for i, name in enumerate(labels):
            if out and out[-1][0] == name:
                out[-1] = (name, out[-1][1], i + 1)
            else:
                out.append((name, i, i + 1))
        return out

    def _rebuild(self, *_: Any) -> None:
        for caption, _a, _b in self._captions:
            self.remove_widget(caption)
        self._captions = []
        for name, first, end in self.groups(list(self.labels)):
            caption = Text(text=name, font_size=self.font_size, size_hint=(None, None))
            caption.bind(texture_size=self._layout)
            self.add_widget(caption)
            self._captions.append((caption, first, end))
        self._layout()

    def _slots(self) -> list[tuple[float, float]]:
        """x and width of each step's segment. A name gets the room it needs (``ID`` less
        than ``Review``) and what is left over is shared equally among the steps."""
        n = len(self.labels)
        if not n:
            return []
        pad = self.gap * 2
        need = [0.0] * n
        for caption, first, end in self._captions:
            k = end - first
            for i in range(first, end):
                need[i] = (caption.texture_size[0] + pad - self.gap * (k - 1)) / k
        spare = self.width - sum(need) - self.gap * (n - 1)
        if spare < 0:  # too narrow for every name: equal shares (the audit tells)
            need, spare = [0.0] * n, self.width - self.gap * (n - 1)
        x, out = self.x, []
        for i in range(n):
            w = need[i] + spare / n
            out.append((x, w))
            x += w + self.gap
        return out

    def _layout(self, *_: Any) -> None:
        slots = self._slots()
        # the bar and the names, as one block in the middle of the height given
        line = max([c.texture_size[1] for c, _a, _b in self._captions] or [0])
        block = self.bar_height + self.gap + max(line, self.font_size * 1.2)
        self.wanted = block
        self._top = self.y + min(self.height, (self.height + block) / 2)
        for caption, first, end in self._captions:
            x0, _w = slots[first]
            x1, w1 = slots[end - 1]
            tw, th = caption.texture_size
            caption.size = (tw, th)
            caption.pos = ((x0 + x1 + w1 - tw) / 2,
                           self._top - self.bar_height - self.gap - th)
        self._restyle()

    def _restyle(self, *_: Any) -> None:
        for caption, first, end in self._captions:
            here = first <= self.current < end
            caption.bold = here
            caption.color = (self.done_colour if first <= self.current
                             else self.text_colour)
        self.canvas.before.clear()
        top = self._top
        with self.canvas.before:
            for i, (x, w) in enumerate(self._slots()):
                if i < self.current:
                    Color(rgba=self.done_colour)
                    h = self.bar_height * 0.6
                elif i == self.current:
                    Color(rgba=self.done_colour)
                    h = self.bar_height
                else:
                    Color(rgba=self.todo_colour)
                    h = self.bar_height * 0.35
                Rectangle(pos=(x, top - self.bar_height / 2 - h / 2), size=(w, h))


class Card(BoxLayout):  # type: ignore[misc]
    bg = ColorProperty("#FFFFFF")
    radius = NumericProperty(12)


class Badge(FallbackText, Label):  # type: ignore[misc]
    bg = ColorProperty("#1F5FAF")


class Keyboard(GridLayout):  # type: ignore[misc]
    """A large on-screen letter keyboard (no system keyboard at a kiosk).

    Dispatches ``on_key`` with a lower-case letter, ``"backspace"`` or ``"clear"``.
    """

    key_size = NumericProperty(96)
    key_font = NumericProperty(36)
    key_bg = ColorProperty("#FFFFFF")
    key_fg = ColorProperty("#111827")
    special_bg = ColorProperty("#1F5FAF")
    special_fg = ColorProperty("#FFFFFF")
    clear_text = StringProperty("clear")
    backspace_text = StringProperty("⌫")
    rows_of_keys = ListProperty(["qwertyuiop", "asdfghjkl", "zxcvbnm"])

    __events__ = ("on_key",)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cols = 1
        for prop in ("key_size", "key_font", "key_bg", "key_fg", "special_bg", "special_fg",
                     "clear_text", "backspace_text"):
            self.bind(**{prop: self._build})
        self._build()

    def _build(self, *_: Any) -> None:
        self.clear_widgets()
        gap = self.key_size * 0.1
        self.spacing = [gap, gap]
        self.size_hint_y = None
        self.height = (self.key_size + gap) * len(self.rows_of_keys)
        for n, row in enumerate(self.rows_of_keys):
            line = BoxLayout(size_hint=(None, None), height=self.key_size,
                             spacing=gap)
            for letter in row:
                line.add_widget(self._key(letter.upper(), letter, self.key_bg, self.key_fg))
            if n == len(self.rows_of_keys) - 1:
                line.add_widget(self._key(self.backspace_text, "backspace", self.special_bg,
                                          self.special_fg, wide=1.6))
                line.add_widget(self._key(self.clear_text, "clear", self.special_bg,
                                          self.special_fg, wide=1.6))
            line.width = sum(c.width for c in line.children) + gap * (len(line.children) - 1)
            anchor = BoxLayout(size_hint_y=None, height=self.key_size)
            anchor.add_widget(Widget())
            anchor.add_widget(line)
            anchor.add_widget(Widget())
            self.add_widget(anchor)

    def _key(self, label: str, value: str, bg: Any, fg: Any, wide: float = 1.0) -> KButton:
        # the wide keys carry words (删除 / Delete): smaller type so they fit on one line
        font = self.key_font if wide == 1.0 else self.key_font * 0.72
        key = KButton(text=label, size_hint=(None, None), width=self.key_size * wide,
                      height=self.key_size, font_size=font, bg=bg, fg=fg,
                      min_target=self.key_size, border_colour=(0.78, 0.8, 0.84, 1))
        key.key_value = value
        key.bind(on_release=lambda b: self.dispatch("on_key", b.key_value))
        return key

    def on_key(self, value: str) -> None:
        pass


class IdCardPicture(DevicePicture):
    """A second-generation ID card laid on the reader pad, drawn with Kivy graphics.

    Shows where the card goes (the reader's marked area under the screen) and that it
    lies flat, photo side up; an arrow points down to the pad.
    """

    card = ColorProperty("#DCE9F7")
    pad = ColorProperty("#1F5FAF")
    animate = BooleanProperty(False)
    colours = ("ink", "card", "pad", "arrow")

    def paint(self, x0: float, y0: float, w: float, h: float) -> None:
        # ID-1 card, 85.6 × 54 mm (ISO/IEC 7810), above a reader pad.
        cw = min(w * 0.62, h * 0.55 * 85.6 / 54)
        ch = cw * 54 / 85.6
        cx = x0 + (w - cw) / 2
        cy = y0 + h * 0.42
        # reader pad with its marked reading area
        Color(*self.pad)
        pw, ph = cw * 1.35, h * 0.2
        SmoothRoundedRectangle(pos=(x0 + (w - pw) / 2, y0 + h * 0.04), size=(pw, ph),
                               radius=[ph * 0.18])
        Color(1, 1, 1, 0.9)
        SmoothLine(rounded_rectangle=(x0 + (w - cw * 1.05) / 2, y0 + h * 0.04 + ph * 0.18,
                                      cw * 1.05, ph * 0.64, ph * 0.08), width=2, dash_length=8,
                   dash_offset=6)
        self.down_arrow(y0, h, half_shaft=cw * 0.03, shaft_width=cw * 0.06,
                        shaft_height=h * 0.11, half_head=cw * 0.09)
        # the card: rounded body, photo box, text lines, national emblem position
        shadowed_body(self.card, cx, cy, cw, ch, ch * 0.07)
        Color(*self.ink)
        SmoothLine(rounded_rectangle=(cx, cy, cw, ch, ch * 0.07), width=2)
        # photo on the right of the front side
        Color(0.75, 0.8, 0.87, 1)
        px, py, pwid, phei = cx + cw * 0.66, cy + ch * 0.2, cw * 0.26, ch * 0.62
        Rectangle(pos=(px, py), size=(pwid, phei))
        Color(*self.ink)
        SmoothLine(ellipse=(px + pwid * 0.28, py + phei * 0.5, pwid * 0.44, phei * 0.34),
                   width=2)
        Line(bezier=[px + pwid * 0.1, py, px + pwid * 0.5, py + phei * 0.55,
                     px + pwid * 0.9, py], width=2)
        # text lines (name, sex/nation, birth, address)
        for n, frac in enumerate((0.38, 0.3, 0.42, 0.5, 0.46)):
            Rectangle(pos=(cx + cw * 0.07, cy + ch * (0.78 - n * 0.12)),
                      size=(cw * frac, ch * 0.035))
        # ID number line at the bottom
        Rectangle(pos=(cx + cw * 0.07, cy + ch * 0.08), size=(cw * 0.55, ch * 0.05))
