"""Wrapping receipt text to a paper width counted in character columns.

Thermal receipt printers lay text on a grid: a half-width character is one
cell (12 x 24 dots in ESC/POS font A), a Chinese character two. An 80 mm
printer has 576 dots (48 columns), a 58 mm one 384 dots (32 columns).

Width of one character (UAX #11, East Asian Width):
* ``W`` and ``F`` are two columns;
* anything a Chinese printer receives as a double-byte GB 18030 code is also
  two columns, because that is how the printer draws it (UAX #11 calls this
  the "East Asian legacy context" for ``A`` ambiguous characters such as
  ``·`` ``°`` ``é`` ``Д``);
* combining marks, variation selectors and format characters are zero.

Line breaking follows the Chinese rules of GB/T 15834 (标点符号用法) and
JIS X 4051 kinsoku: closing punctuation (，。、；：？！）」』》 ...) never starts a
line and opening punctuation (（「『《 ...) never ends one; the character before
a closing mark moves down with it. Runs of half-width letters and digits
(case numbers, URLs, English words) break only at spaces unless a run is wider
than a whole line. A grapheme cluster (a base character with its combining
marks, an ideographic variation sequence, a surrogate pair) is never split.
The rule tables live in ``devices.linebreak``, shared with the screens.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from devices.linebreak import NO_LINE_END, NO_LINE_START  # the same 禁则 tables as the screens
from devices.printer.document import (
    NORMAL,
    Align,
    Block,
    Cut,
    Document,
    Feed,
    Image,
    Paragraph,
    QrCode,
    Run,
    Separator,
    Size,
)

_JOINERS = frozenset("\u200d")


@functools.lru_cache(maxsize=16384)
def char_width(ch: str) -> int:
    """Columns one code point takes on a Chinese receipt printer (0, 1 or 2)."""
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Me", "Cf") or _is_variation_selector(ch):
        return 0
    if cat == "Cc":
        return 0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    try:
        encoded = ch.encode("gb18030")
    except UnicodeEncodeError:
        return 1
    return 2 if len(encoded) == 2 else 1


def _is_variation_selector(ch: str) -> bool:
    o = ord(ch)
    return 0xFE00 <= o <= 0xFE0F or 0xE0100 <= o <= 0xE01EF or 0x1F3FB <= o <= 0x1F3FF


def text_width(text: str) -> int:
    return sum(char_width(c) for c in text)


def clean(text: str) -> str:
    """Join UTF-16 surrogate pairs that arrived as two code points; drop controls.

    Text from a card reader decoded as UCS-2 may hold ``\\ud842\\udfb7`` instead of
    ``𠮷``; a lone surrogate cannot be printed and becomes U+FFFD.
    """
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    out = []
    for c in text:
        if c == "\t":
            out.append(" ")
        elif c == "\n" or unicodedata.category(c) != "Cc":
            out.append(c)
    return "".join(out)


def clusters(text: str) -> list[str]:
    """Split into grapheme clusters (a practical subset of UAX #29 for receipts)."""
    result: list[str] = []
    for c in text:
        joins = bool(result) and result[-1] != "\n" and (
            unicodedata.category(c) in ("Mn", "Me", "Mc")
            or _is_variation_selector(c)
            or c in _JOINERS
            or result[-1][-1] in _JOINERS
        )
        if joins:
            result[-1] += c
        else:
            result.append(c)
    return result


@dataclass(frozen=True)
class TextLine:
    """One printed line. ``indent`` is in cells of this line's size."""

    segments: tuple[Run, ...]
    align: Align = Align.LEFT
    size: Size = NORMAL
    indent: int = 0

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)

    @property
    def columns(self) -> int:
        """Columns used, in normal-size columns (including the indent)."""
        return (self.indent + text_width(self.text)) * self.size.width


LaidOut = TextLine | QrCode | Image | Feed | Cut


def layout(doc: Document, columns: int) -> list[LaidOut]:
    """Every block of ``doc`` as printed lines for paper ``columns`` wide."""
    out: list[LaidOut] = []
    for block in doc.blocks:
        out.extend(_layout_block(block, columns))
    return out


def _layout_block(block: Block, columns: int) -> Iterator[LaidOut]:
    if isinstance(block, Paragraph):
        yield from wrap(block, columns)
    elif isinstance(block, Separator):
        yield TextLine((Run(block.char * columns),))
    else:
        yield block


# --------------------------------------------------------------------------- wrapping

@dataclass
class _Unit:
    """Clusters that must stay on one line, with the bold flag of each."""

    parts: list[tuple[str, bool]]
    space: bool = False
    newline: bool = False

    @property
    def width(self) -> int:
        return sum(text_width(t) for t, _ in self.parts)


def _units(paragraph: Paragraph) -> list[_Unit]:
    units: list[_Unit] = []
    glue_next = False  # the previous cluster was an opening mark
    for run in paragraph.runs:
        for cl in clusters(clean(run.text)):
            if cl == "\n":
                units.append(_Unit([], newline=True))
                glue_next = False
                continue
            base = cl[0]
            if base == " ":
                if glue_next and units:  # "（ x": the opening mark still waits for x
                    units[-1].parts.append((cl, run.bold))
                    continue
                units.append(_Unit([(cl, run.bold)], space=True))
                continue
            narrow = text_width(cl) == 1
            if base in NO_LINE_START and len(units) > 1 and units[-1].space \
                    and not units[-2].space and not units[-2].newline:
                # "word ，": the mark keeps the space and the word before it company.
                space = units.pop()
                units[-1].parts.extend(space.parts)
            prev = units[-1] if units and not units[-1].space and not units[-1].newline else None
            if prev is not None and (
                glue_next
                or base in NO_LINE_START
                or (narrow and _ends_narrow(prev))
                or text_width(cl) == 0
            ):
                prev.parts.append((cl, run.bold))
            else:
                units.append(_Unit([(cl, run.bold)]))
            glue_next = base in NO_LINE_END
    return units


def _ends_narrow(unit: _Unit) -> bool:
    return text_width(unit.parts[-1][0]) == 1


def wrap(paragraph: Paragraph, columns: int) -> list[TextLine]:
    """Greedy line filling with the Chinese line-breaking rules (module docstring)."""
    cells = max(1, columns // paragraph.size.width)
    left = paragraph.align is Align.LEFT
    indent = min(paragraph.indent, cells // 4) if left else 0
    hanging = min(paragraph.hanging, cells // 2) if left else 0
    lines: list[list[tuple[str, bool]]] = [[]]
    used = 0

    def capacity() -> int:
        return cells - indent - (hanging if len(lines) > 1 else 0)

    def new_line() -> None:
        nonlocal used
        _trim_trailing_spaces(lines[-1])
        lines.append([])
        used = 0

    for unit in _units(paragraph):
        if unit.newline:
            new_line()
            continue
        if unit.space:
            if lines[-1] and used + 1 <= capacity():
                lines[-1].extend(unit.parts)
                used += 1
            continue
        width = unit.width
        if used + width <= capacity():
            lines[-1].extend(unit.parts)
            used += width
            continue
        if lines[-1] and width <= cells - indent - hanging:
            new_line()
            lines[-1].extend(unit.parts)
            used = width
            continue
        # Wider than a whole line: split between clusters, never inside one.
        for part in unit.parts:
            w = text_width(part[0])
            if used + w > capacity() and lines[-1]:
                new_line()
            lines[-1].append(part)
            used += w
    _trim_trailing_spaces(lines[-1])
    result = []
    for i, parts in enumerate(lines):
        result.append(TextLine(_segments(parts), paragraph.align, paragraph.size,
                               indent + (hanging if i > 0 else 0)))
    return result


def _trim_trailing_spaces(parts: list[tuple[str, bool]]) -> None:
    while parts and parts[-1][0] == " ":
        parts.pop()


def _segments(parts: list[tuple[str, bool]]) -> tuple[Run, ...]:
    segs: list[Run] = []
    for text, bold in parts:
        if segs and segs[-1].bold == bold:
            segs[-1] = Run(segs[-1].text + text, bold)
        else:
            segs.append(Run(text, bold))
    return tuple(segs)
