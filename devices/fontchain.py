"""Which font of a fallback chain draws each character, read from the fonts' cmaps.

No single font has every CJK ideograph a name may hold: Noto Sans CJK SC has
about 2,100 of the 42,720 Extension B code points, HanaMin A/B and BabelStone
Han fill most of the rest. A :class:`FontChain` lists font files in order of
preference and splits a text into runs, each drawn by the first font that has
its characters. Screens (Kivy markup font spans) and paper (the receipt
printer's raster glyphs) use the same splitter, so a name looks alike on both.

This module is pure (fontTools only) and lives under ``devices`` so that the
printer and its emulator can use it without depending on the kiosk core; the
kiosk decides which fonts form the chain (``kiosk.fonts``) and passes it in.

Units of text:
* a UTF-16 surrogate pair left in a ``str`` (card text decoded as UCS-2) is
  joined into its code point first, so an astral character is one unit;
* combining marks, variation selectors and a zero-width joiner stay with the
  character before them (one cluster is never split across fonts);
* spaces and line breaks join the run they are in (every font has them).
"""

from __future__ import annotations

import bisect
import functools
import struct
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


@dataclass(frozen=True)
class FontFile:
    path: Path
    index: int = 0  # face index inside a .ttc collection


def join_surrogates(text: str) -> str:
    """``'\\ud842\\udfb7'`` -> ``'𠮷'``; a lone surrogate becomes U+FFFD."""
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def _joins_previous(ch: str) -> bool:
    o = ord(ch)
    return (unicodedata.category(ch) in ("Mn", "Me", "Mc")
            or 0xFE00 <= o <= 0xFE0F or 0xE0100 <= o <= 0xE01EF or ch == "\u200d")


def clusters(text: str) -> list[str]:
    """A base character with the marks and selectors that follow it, in order."""
    out: list[str] = []
    for ch in join_surrogates(text):
        if out and out[-1] != "\n" and (_joins_previous(ch) or out[-1][-1] == "\u200d"):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _neutral(cluster: str) -> bool:
    """Drawn by whatever font the run around it uses (space, controls, format chars)."""
    return cluster.isspace() or unicodedata.category(cluster[0]) in ("Cc", "Cf")


class FontChain:
    """Fonts in order of preference; each cmap is read once, when first needed."""

    def __init__(self, faces: Sequence[FontFile]) -> None:
        if not faces:
            raise ValueError("a font chain needs at least one font")
        self.faces = tuple(faces)
        self._cmaps: list[Coverage | None] = [None] * len(self.faces)
        self._lock = threading.Lock()

    def cmap(self, i: int) -> Coverage:
        """The code points face ``i`` has a glyph for (empty when its file is unreadable)."""
        found = self._cmaps[i]
        if found is None:
            with self._lock:
                found = self._cmaps[i]
                if found is None:
                    found = _read_cmap(self.faces[i])
                    self._cmaps[i] = found
        return found

    def has(self, i: int, cluster: str) -> bool:
        cmap = self.cmap(i)
        return all(ord(c) in cmap or _joins_previous(c) for c in cluster) \
            and ord(cluster[0]) in cmap

    def face_for(self, cluster: str) -> int | None:
        """Index of the first face that draws ``cluster`` (its base and its marks; failing
        that, its base alone), None when no face has the base character."""
        base_only = None
        for i in range(len(self.faces)):
            if self.has(i, cluster):
                return i
            if base_only is None and ord(cluster[0]) in self.cmap(i):
                base_only = i
        return base_only

    def runs(self, text: str) -> list[tuple[int, str]]:
        """``text`` as (face index, run) pairs; a character no face has goes with face 0
        (it will be a box: :meth:`missing` names it)."""
        out: list[tuple[int, str]] = []
        pending = ""  # neutral characters before the first real one
        for cl in clusters(text):
            if _neutral(cl):
                if out:
                    out[-1] = (out[-1][0], out[-1][1] + cl)
                else:
                    pending += cl
                continue
            face = self.face_for(cl)
            face = 0 if face is None else face
            if out and out[-1][0] == face:
                out[-1] = (face, out[-1][1] + cl)
            else:
                out.append((face, pending + cl))
                pending = ""
        if pending:
            out.append((0, pending))
        return out

    def missing(self, text: str) -> list[str]:
        """Clusters no face of the chain can draw, each once, in order of appearance."""
        seen: list[str] = []
        for cl in clusters(text):
            if not _neutral(cl) and self.face_for(cl) is None and cl not in seen:
                seen.append(cl)
        return seen


class Coverage:
    """The code points a font maps, as sorted ranges (a CJK font maps ~65,000)."""

    def __init__(self, ranges: Iterable[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for first, last in sorted(ranges):
            if merged and first <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], last)
            else:
                merged.append([first, last])
        self._starts = [r[0] for r in merged]
        self._ends = [r[1] for r in merged]

    def __contains__(self, cp: object) -> bool:
        if not isinstance(cp, int):
            return False
        i = bisect.bisect_right(self._starts, cp) - 1
        return i >= 0 and cp <= self._ends[i]

    def __iter__(self) -> Iterator[int]:
        for first, last in zip(self._starts, self._ends, strict=True):
            yield from range(first, last + 1)

    def __len__(self) -> int:
        return sum(e - s + 1 for s, e in zip(self._starts, self._ends, strict=True))


@functools.lru_cache(maxsize=32)  # a big font's cmap takes a moment: read each file once
def _read_cmap(face: FontFile) -> Coverage:
    try:
        with face.path.open("rb") as f:
            groups = _format12_groups(f, face.index)
    except OSError:  # absent font: covers nothing
        return Coverage(())
    except (struct.error, ValueError):  # damaged: covers nothing
        return Coverage(())
    if groups is not None:
        return Coverage(groups)
    # A font without a UCS-4 cmap (rare): fontTools, imported only then (~0.1 s).
    from fontTools.ttLib import TTFont

    try:
        with TTFont(str(face.path), fontNumber=face.index, lazy=True) as font:
            return Coverage((cp, cp) for cp in (font.getBestCmap() or ()))
    except (OSError, KeyError, AssertionError):
        return Coverage(())


def _format12_groups(f: BinaryIO, index: int) -> list[tuple[int, int]] | None:
    """The (first, last) code point groups of the font's Windows UCS-4 cmap (platform 3,
    encoding 10, format 12; OpenType spec, cmap table), read directly: fontTools
    builds a glyph-name dict of every mapping, about a second for a CJK font."""

    def read(offset: int, fmt: str) -> tuple[int, ...]:
        f.seek(offset)
        return struct.unpack(fmt, f.read(struct.calcsize(fmt)))

    base = 0
    if f.read(4) == b"ttcf":  # a collection: its header lists each font's offset
        base = read(12 + 4 * index, ">I")[0]
    num_tables = read(base + 4, ">H")[0]
    f.seek(base + 12)
    directory = f.read(16 * num_tables)
    cmap = next((offset for tag, _sum, offset, _len in struct.iter_unpack(">4sIII", directory)
                 if tag == b"cmap"), None)
    if cmap is None:
        return None
    count = read(cmap + 2, ">H")[0]
    f.seek(cmap + 4)
    for platform, encoding, offset in struct.iter_unpack(">HHI", f.read(8 * count)):
        sub = cmap + offset
        if (platform, encoding) == (3, 10) and read(sub, ">H")[0] == 12:
            n = read(sub + 12, ">I")[0]
            f.seek(sub + 16)
            return [(first, last) for first, last, glyph in struct.iter_unpack(
                ">III", f.read(12 * n))
                if glyph or last > first]  # a lone mapping to glyph 0 is .notdef
    return None
