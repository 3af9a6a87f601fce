"""A Label's text as Kivy laid it out: the lines it drew, the characters it kept,
and the fonts it drew them with.

Kivy wraps in ``label._label._cached_lines`` (one LayoutLine per drawn line, each
with LayoutWords carrying their text and, for markup, their own options). Lines
that did not fit ``text_size``'s height, ``max_lines`` and ``shorten`` all leave
characters out of those lines; the rules compare them with ``label.text``.

Font hook: a label that draws with several fonts (a fallback chain) declares them
as ``font_runs``, a list of ``(font, text)`` pairs in drawing order, where ``font``
is a registered font name or a path; when present it replaces what is read from
Kivy's layout. Fonts are otherwise resolved through ``LabelBase`` registrations
(regular or bold face as the label or markup word asks).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from kivy.core.text import LabelBase

_TAG = re.compile(r"\[/?[a-z_]+(=[^\]]*)?\]|\[/\]")
_ENTITIES = (("&bl;", "["), ("&br;", "]"), ("&amp;", "&"))
_ELLIPSES = ("...", "…")


def plain_text(label: Any) -> str:
    text = str(label.text)
    if getattr(label, "markup", False):
        text = _TAG.sub("", text)
        for entity, char in _ENTITIES:
            text = text.replace(entity, char)
    return text


def lines(label: Any) -> list[str]:
    """The text of each line as drawn."""
    core = getattr(label, "_label", None)
    if core is None:
        return []
    if not getattr(core, "_cached_lines", None) and label.text:
        label.texture_update()
    return ["".join(word.text for word in line.words)
            for line in getattr(core, "_cached_lines", None) or []]


def _squeeze(text: str) -> str:
    return "".join(text.split())


def dropped(label: Any) -> str | None:
    """What the label did not draw of its text ("…" shortening, lines cut off by a
    fixed height or max_lines), or None when every character was drawn."""
    want = _squeeze(plain_text(label))
    got = _squeeze("".join(lines(label)))
    if got == want:
        return None
    for mark in _ELLIPSES:
        if mark in got and mark not in want:
            head, _, tail = got.partition(mark)
            return f"shortened to {head[:20]}{mark}{tail[-12:]!r} of {want[:40]!r}"
    if len(got) < len(want):
        return f"drew {len(got)} of {len(want)} characters: {got[-16:]!r} ends it, " \
               f"{want[len(got):len(got) + 16]!r} is missing"
    return None


def font_path(name: str, bold: bool = False) -> str:
    faces = LabelBase._fonts.get(name)  # Kivy has no public reader of its registry
    if faces:
        return str(faces[2 if bold else 0])
    return name


def runs(label: Any) -> list[tuple[str, str]]:
    """``(font path, text)`` pairs the label draws (see the module doc for the hook)."""
    declared = getattr(label, "font_runs", None)
    if declared:
        return [(font_path(font), text) for font, text in declared]
    bold = bool(getattr(label, "bold", False))
    core = getattr(label, "_label", None)
    words = [w for line in getattr(core, "_cached_lines", None) or [] for w in line.words]
    if getattr(label, "markup", False) and words:
        return [(font_path(str(w.options.get("font_name") or label.font_name),
                           bool(w.options.get("bold", bold))), w.text) for w in words]
    return [(font_path(str(label.font_name), bold), plain_text(label))]


def text_sizes(label: Any) -> list[float]:
    """Every font size the label draws in (markup words may set their own)."""
    core = getattr(label, "_label", None)
    words = [w for line in getattr(core, "_cached_lines", None) or [] for w in line.words
             if w.text.strip()]
    if getattr(label, "markup", False) and words:
        return sorted({float(w.options.get("font_size") or label.font_size) for w in words})
    sizes = {float(label.font_size)}
    return sorted(sizes)


@lru_cache(maxsize=64)
def cmap(path: str) -> frozenset[int]:
    """The code points a font file has glyphs for (first face of a collection)."""
    from fontTools.ttLib import TTFont
    if not Path(path).exists():
        return frozenset()
    font = TTFont(path, fontNumber=0, lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


def needs_glyph(char: str) -> bool:
    """Characters a font must draw (not whitespace, controls or variation selectors)."""
    cp = ord(char)
    return not (char.isspace() or cp < 0x20 or 0xFE00 <= cp <= 0xFE0F or cp in (0x200B, 0x200D))


#: GB/T 15834 禁则: marks that never begin a line, and marks that never end one.
NO_LINE_START = frozenset("，。、；：？！）】」』》〉〕〗’”…—·,.;:?!)]}%"
                          "\uff09\uff3d\uff5d\uff05")
NO_LINE_END = frozenset("（【「『《〈〔〖‘“([{\uff08\uff3b\uff5b")
