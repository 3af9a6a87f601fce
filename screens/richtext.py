"""Labels that draw every character with a font that has it, broken by the 禁则 rules.

Two things Kivy's Label does not do for Chinese text:

* **Fallback fonts.** A label draws with one font; a name holding a character that
  Noto Sans CJK SC lacks (𪚥, U+2A6A5) becomes a box. :class:`FallbackText` splits
  the text by coverage (``devices.fontchain``, chain from ``kiosk.fonts``) and
  draws each run not in the label's own font inside a ``[font=...]`` markup span.
  User text is escaped, so a typed ``[b]`` stays text.
* **Line breaking.** Kivy wraps text without spaces at any character, so a line
  may start with "，" or "）". When a label wraps (``text_size`` has a width) and
  holds Chinese, the breaks are computed here with the fonts' metrics and the
  shared rule table (``kiosk.i18n.linebreak``) and given to Kivy as explicit line breaks.

Each label exposes ``font_runs``: a list of (font file, text) pairs, the fonts it
draws with (the layout audit's no-tofu rule reads the cmap of each).

The chain is installed once at start-up by ``screens.fonts.register_fonts``, as
Kivy's own font registry is (fonts are process-wide in Kivy).

**Rendered textures are kept.** A kiosk shows the same screens all day: the same
department lists, guides, step prompts and buttons. Rasterising their text is most
of what a tap costs (SDL_ttf draws every glyph on the CPU), so the shaper keeps a
byte-bounded, least-recently-used cache of label textures keyed by everything that
decides their pixels (the text with its colour, font, size, wrap width, alignment,
padding...). A text drawn a second time is kept; from then on a label showing it
takes that texture instead of drawing it again.
"""

from __future__ import annotations

import re
import unicodedata
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from kivy.clock import Clock
from kivy.core.text import DEFAULT_FONT, LabelBase
from kivy.core.text import Label as CoreLabel
from kivy.core.text.markup import MarkupLabel as CoreMarkupLabel
from kivy.lang import Builder
from kivy.properties import NumericProperty, ObjectProperty
from kivy.utils import get_hex_from_color

from devices.fontchain import FontChain, clusters
from kiosk.i18n.linebreak import line_starts

_TAG = re.compile(r"\[(/?)([a-z_]+)(?:=([^\]]*))?\]")
_UNESCAPE = (("&bl;", "["), ("&br;", "]"), ("&amp;", "&"))


def escape(text: str) -> str:
    """``text`` as Kivy markup that shows it literally."""
    return text.replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")


def _unescape(text: str) -> str:
    for entity, ch in _UNESCAPE:
        text = text.replace(entity, ch)
    return text


@dataclass
class _Style:
    font: str | None  # a [font=] tag's value; None: the label's own font
    size: float
    bold: bool


@dataclass(frozen=True)
class Shaped:
    markup: str  # markup for Kivy's MarkupLabel
    runs: list[tuple[str, str]]  # (font file, text) as drawn


@dataclass(frozen=True)
class Rendered:
    """A label's texture and what Kivy derives from it, as kept by :class:`TextureCache`."""

    texture: Any
    size: tuple[int, int]
    refs: dict[str, Any]
    anchors: dict[str, Any]
    shortened: bool
    #: (font file, text) as drawn: the label's ``font_runs``
    runs: list[tuple[str, str]] = field(default_factory=list)
    #: Kivy's layout of the text (``LayoutLine`` list), given back to the core label on
    #: a hit: the layout audit and Kivy's own ref/anchor lookups read it there
    lines: list[Any] = field(default_factory=list)


class TextureCache:
    """Rendered label textures, least recently used dropped once they hold more than
    ``budget_bytes`` (width x height x 4 each; the textures still shown by a widget
    stay alive through it, only the cache lets go of them)."""

    #: About ten full-HD screens of text.
    DEFAULT_BUDGET = 64 * 1024 * 1024
    #: Keys remembered as seen once (a key is a few hundred bytes).
    SEEN_KEYS = 4096

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET) -> None:
        self.budget = budget_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, tuple[Rendered, int]] = OrderedDict()
        self._seen: OrderedDict[Hashable, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def seen_before(self, key: Hashable) -> bool:
        """Whether ``key`` was asked for before (and now remember that it was). Only a
        text shown a second time is kept: the digits being typed into a field, a
        countdown's seconds, never come back, and a texture kept for each would be a
        new GL texture per keystroke (the software renderer does not give their memory
        back), where Kivy's own label draws them into the one texture it has."""
        if key in self._seen:
            return True
        self._seen[key] = None
        if len(self._seen) > self.SEEN_KEYS:
            self._seen.popitem(last=False)
        return False

    def get(self, key: Hashable) -> Rendered | None:
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return found[0]

    def put(self, key: Hashable, rendered: Rendered) -> None:
        size = rendered.size[0] * rendered.size[1] * 4
        if size > self.budget:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        self._entries[key] = (rendered, size)
        self.bytes += size
        while self.bytes > self.budget:
            _key, (_rendered, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped


def _frozen(value: Any) -> Hashable:
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value if isinstance(value, Hashable) else repr(value)


def _options_key(options: dict[str, Any]) -> Hashable:
    """A core label's options as a key: one level of lists made tuples (colours,
    padding), dicts sorted; cheap enough to build on every texture update."""
    return tuple((k, tuple(v) if isinstance(v, list) else
                  _frozen(v) if isinstance(v, dict) else v)
                 for k, v in options.items())


class Shaper:
    """Turns a label's text into font-spanned, 禁则-broken markup."""

    def __init__(self, chain: FontChain, textures: TextureCache | None = None) -> None:
        self.chain = chain
        self.textures = textures if textures is not None else TextureCache()
        self._measure: dict[tuple[str, float, bool], Any] = {}
        self._widths: dict[tuple[str, float, bool, str], float] = {}

    def font_file(self, font_name: str) -> str:
        """The file a Kivy font name stands for (registered names resolve to files)."""
        if font_name in (DEFAULT_FONT, "Roboto"):
            return str(self.chain.faces[0].path)
        registered = LabelBase._fonts.get(font_name)  # Kivy's registry: name -> files
        return str(registered[0]) if registered else font_name

    def width(self, cluster: str, font: str, size: float, bold: bool) -> float:
        key = (font, size, bold, cluster)
        found = self._widths.get(key)
        if found is None:
            probe = self._measure.get(key[:3])
            if probe is None:
                probe = CoreLabel(font_name=font, font_size=size, bold=bold)
                self._measure[key[:3]] = probe
            found = float(probe.get_extents(cluster)[0])
            self._widths[key] = found
        return found

    def shape(self, text: str, *, markup: bool, font_name: str, font_size: float,
              bold: bool, width: float | None) -> Shaped:
        own = self.font_file(font_name)
        pieces = _parse(text, markup, _Style(None, font_size, bold))
        # (cluster, style, face) for every character; tags kept in between
        items: list[tuple[str, _Style, int] | str] = []
        for piece in pieces:
            if isinstance(piece, str):
                items.append(piece)  # a tag, emitted as it came
                continue
            plain, style = piece
            for face, run in self.chain.runs(plain):
                for cl in clusters(run):
                    items.append((cl, style, face))
        chars = [(i, it) for i, it in enumerate(items) if not isinstance(it, str)]
        breaks: set[int] = set()
        drop: set[int] = set()
        if width is not None and width > 0 and any(not _narrow(it[0]) for _, it in chars):
            cls = [it[0] for _, it in chars]
            widths = [self.width(cl, self._font_of(st, face, own), st.size, st.bold)
                      for cl, st, face in (it for _, it in chars)]
            for start in line_starts(cls, widths, max(1.0, width - 2)):
                if cls[start - 1] == "\n":
                    continue
                breaks.add(chars[start][0])
                k = start - 1
                while k >= 0 and cls[k] == " ":  # the break takes the spaces before it
                    drop.add(chars[k][0])
                    k -= 1
        out: list[str] = []
        runs: list[tuple[str, str]] = []
        open_face = 0
        for i, it in enumerate(items):
            if isinstance(it, str):
                if open_face:
                    out.append("[/font]")
                    open_face = 0
                out.append(it)
                continue
            cl, st, face = it
            if i in breaks:
                out.append("\n")
                _add_run(runs, self._font_of(st, 0, own), "\n")
            if i in drop:
                continue
            face = face if st.font is None else 0
            if face != open_face:
                if open_face:
                    out.append("[/font]")
                if face:
                    out.append(f"[font={self.chain.faces[face].path}]")
                open_face = face
            out.append(escape(cl))
            _add_run(runs, self._font_of(st, face, own), cl)
        if open_face:
            out.append("[/font]")
        return Shaped("".join(out), runs)

    def _font_of(self, style: _Style, face: int, own: str) -> str:
        if style.font is not None:
            return self.font_file(style.font)
        return str(self.chain.faces[face].path) if face else own


def _narrow(cluster: str) -> bool:
    return unicodedata.east_asian_width(cluster[0]) not in ("W", "F")


def _add_run(runs: list[tuple[str, str]], font: str, text: str) -> None:
    if runs and runs[-1][0] == font:
        runs[-1] = (font, runs[-1][1] + text)
    else:
        runs.append((font, text))


def _parse(text: str, markup: bool, base: _Style) -> list[tuple[str, _Style] | str]:
    """Plain text pieces with their style, and markup tags as strings, in order."""
    if not markup:
        return [(text, base)]
    out: list[tuple[str, _Style] | str] = []
    stack = [base]
    pos = 0
    for m in _TAG.finditer(text):
        if m.start() > pos:
            out.append((_unescape(text[pos:m.start()]), stack[-1]))
        out.append(m.group(0))
        closing, name, value = m.group(1), m.group(2), m.group(3)
        top = stack[-1]
        if name in ("b", "size", "font"):
            if closing:
                if len(stack) > 1:
                    stack.pop()
            elif name == "b":
                stack.append(_Style(top.font, top.size, True))
            elif name == "size":
                stack.append(_Style(top.font, _size(value, top.size), top.bold))
            else:
                stack.append(_Style(value, top.size, top.bold))
        pos = m.end()
    if pos < len(text):
        out.append((_unescape(text[pos:]), stack[-1]))
    return out


def _size(value: str | None, default: float) -> float:
    match = re.match(r"\s*([0-9.]+)", value or "")
    return float(match.group(1)) if match else default


# A label draws only the columns of its texture that hold text (``ink_*``, set with the
# texture), in place of Kivy's rule that draws the whole texture: a wrapped label's
# texture is as wide as its box, and on the kiosk's software renderer every pixel drawn
# costs, transparent or not (a short title in a full-width label was 90 % empty).
Builder.load_string("""
<-FallbackText>:
    canvas:
        Color:
            rgba: 1, 1, 1, 1
        Rectangle:
            texture: self.ink_texture
            size: self.ink_width, self.texture_size[1]
            pos: int(self.center_x - self.texture_size[0] / 2.) + self.ink_x, int(self.center_y - self.texture_size[1] / 2.)
""")  # noqa: E501

#: pixels kept either side of the text's advance box (antialiasing, glyph overhang)
INK_MARGIN = 3


def ink_columns(lines: Sequence[Any], width: int, halign: str) -> tuple[int, int]:
    """The first column and the width of a label texture ``width`` px wide that hold its
    laid-out ``lines`` (Kivy's LayoutLine: x, w), with INK_MARGIN either side; the
    whole width when that is not known (no lines, justified text)."""
    spans = [(line.x, line.x + line.w) for line in lines if line.w > 0]
    if not spans or halign == "justify" or width <= 0:
        return 0, width
    start = max(0, int(min(a for a, _ in spans)) - INK_MARGIN)
    end = min(width, int(max(b for _, b in spans)) + INK_MARGIN + 1)
    return (start, end - start) if end > start else (0, width)


#: How many times in one frame a label's draw waits for a layout above it (each wait
#: lets one more level of nested layouts run first).
MAX_LAYOUT_WAITS = 6


def _layout_pending(widget: Any) -> bool:
    """Whether a layout that places ``widget`` (its parent's, or one further up) is
    scheduled and has not run yet."""
    parent = widget.parent
    while parent is not None and parent is not widget:
        pending = getattr(parent, "_trigger_layout", None)
        if pending is not None and getattr(pending, "is_triggered", False):
            return True
        widget, parent = parent, parent.parent
    return False


class FallbackText:
    """Mix into a Label (before it): fallback font spans, 禁则 breaks, ``font_runs``."""

    shaper: ClassVar[Shaper | None] = None
    #: (font file, text) for each run the label draws, line breaks included.
    font_runs: Sequence[tuple[str, str]] = ()
    #: the part of the texture that holds text (see ``ink_columns``), what is drawn
    ink_texture = ObjectProperty(None, allownone=True)
    ink_x = NumericProperty(0)
    ink_width = NumericProperty(0)
    #: how often the label waited for a layout in the frame ``_waits_frame``
    _waits = 0
    _waits_frame = -1

    def _create_label(self) -> None:
        # Always a markup core label: the font spans are markup, even for plain text.
        self_: Any = self
        if isinstance(self_._label, CoreMarkupLabel):
            return
        dkw = {x: getattr(self_, x) for x in self_._font_properties}
        dkw["usersize"] = self_.text_size
        if self_.disabled:
            dkw["color"] = self_.disabled_color
            dkw["outline_color"] = self_.disabled_outline_color
        self_._label = CoreMarkupLabel(**dkw)

    def texture_update(self, *largs: Any) -> None:
        self_: Any = self
        # From the clock (a text, size or font changed: Kivy passes the frame's dt).
        # While a layout above the label is still to run before this frame, its width
        # is not final: a label made with a screen would be drawn at a provisional
        # width (a column of one character each) and again at the real one. Wait for
        # that layout, which runs before the frame; a direct call draws at once.
        # A few waits at most in one frame: layouts that depend on the label's own
        # size (a row as tall as its text) settle only once it has drawn.
        if largs and _layout_pending(self_):
            frame = Clock.frames
            waits = self._waits + 1 if self._waits_frame == frame else 1
            if waits <= MAX_LAYOUT_WAITS:
                self._waits, self._waits_frame = waits, frame
                self_._trigger_texture()
                return
        shaper = FallbackText.shaper
        text = self_.text
        if self_.halign == "justify" or self_.strip:
            text = text.strip()
        core = self_._label
        colour = get_hex_from_color(self_.disabled_color if self_.disabled else self_.color)
        self_.texture = None
        if shaper is None:  # no chain installed (a unit test of a bare widget)
            source = text if self_.markup else escape(text)
            self.font_runs = [(self_.font_name, text)]
            kept = self._draw(text, source, colour, [(self_.font_name, text)])
        else:
            width = None  # one line to shorten with "…": no breaks of ours
            if self_.text_size[0] is not None and not self_.shorten:
                pad = self_.padding
                width = self_.text_size[0] - pad[0] - pad[2]
            # Everything that decides the pixels: the text before shaping (shaping is
            # a pure function of it and of options below), the colour, the core
            # label's options (font, size, alignment, padding...) and the wrap box.
            key = (text, self_.markup, colour, width, _options_key(core.options),
                   _frozen(core.usersize))
            found = shaper.textures.get(key)
            if found is not None:
                kept = found
                core._cached_lines = found.lines
            else:
                shaped = shaper.shape(text, markup=self_.markup, font_name=self_.font_name,
                                      font_size=self_.font_size, bold=self_.bold,
                                      width=width)
                kept = self._draw(text, shaped.markup, colour, shaped.runs)
                if kept.texture is not None and kept.texture is not core.texture_1px \
                        and shaper.textures.seen_before(key):
                    shaper.textures.put(key, kept)
                    # The core label would draw its next text into this same texture
                    # (it reuses one of the same size): give it none, so the kept
                    # one stays as it is.
                    core.texture = None
            self.font_runs = kept.runs
        self_.refs = kept.refs
        self_.anchors = kept.anchors
        if kept.texture is None:
            self_.texture_size = (0, 0)
            self.ink_texture, self.ink_x, self.ink_width = None, 0, 0
        else:
            self_.texture = kept.texture
            self_.texture_size = list(kept.size)
            width, height = kept.size
            x, w = ink_columns(kept.lines, width, self_.halign)
            self.ink_texture = kept.texture if w == width else \
                kept.texture.get_region(x, 0, w, height)
            self.ink_x, self.ink_width = x, w
        self_.is_shortened = kept.shortened

    def _draw(self, text: str, source: str, colour: str,
              runs: list[tuple[str, str]]) -> Rendered:
        """Rasterise ``source`` (markup) with the core label; nothing for blank text."""
        core: Any = self._label  # type: ignore[attr-defined]
        if not text.strip():
            core._refs, core._anchors, core._cached_lines = {}, {}, []
            return Rendered(None, (0, 0), {}, {}, False, runs)
        core.text = f"[color={colour}]{source}[/color]"
        core.refresh()
        texture = core.texture
        if texture is not None:
            texture.bind()
        return Rendered(texture, tuple(texture.size) if texture is not None else (0, 0),
                        core.refs, core.anchors, core.is_shortened, runs,
                        list(getattr(core, "_cached_lines", None) or []))
