"""Chinese line-breaking rules (禁则), shared by paper and screen.

GB/T 15834 (标点符号用法) and JIS X 4051 kinsoku: closing punctuation
(，。、；：？！）」』》 ...) never starts a line and opening punctuation
(（「『《 ...) never ends one; the character before a closing mark moves down
with it. Runs of half-width letters and digits (case numbers, English words)
break only at spaces unless a run is wider than a whole line.

The tables themselves are in ``devices.linebreak`` (the receipt layout,
``devices.printer.layout``, wraps by printer columns with them and may not import
the kiosk); the screens measure each character with the label's font and call
:func:`line_starts` with pixel widths. Pure: no Kivy, no fonts.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from devices.linebreak import NO_LINE_END, NO_LINE_START

__all__ = ["NO_LINE_END", "NO_LINE_START", "line_starts"]


def _narrow(cluster: str) -> bool:
    return unicodedata.east_asian_width(cluster[0]) not in ("W", "F")


def _units(clusters: Sequence[str]) -> list[list[int]]:
    """Indexes of clusters that must stay on one line, in order ("\\n" and each space
    are units of their own)."""
    units: list[list[int]] = []
    glue_next = False  # the previous cluster was an opening mark
    for i, cl in enumerate(clusters):
        prev = units[-1] if units and clusters[units[-1][-1]] not in ("\n", " ") else None
        if cl in ("\n", " "):
            units.append([i])
            glue_next = False
            continue
        base = cl[0]
        word = _narrow(cl) and not unicodedata.category(base).startswith("P")
        if prev is not None and (
            glue_next
            or base in NO_LINE_START
            or (word and _narrow(clusters[prev[-1]])
                and not unicodedata.category(clusters[prev[-1]][0]).startswith("P"))
        ):
            prev.append(i)
        else:
            units.append([i])
        glue_next = base in NO_LINE_END
    return units


def line_starts(clusters: Sequence[str], widths: Sequence[float], limit: float) -> list[int]:
    """Where each line after the first begins: indexes into ``clusters``.

    Greedy filling of ``limit`` (same unit as ``widths``). A line broken at a space
    begins after it (the caller drops the space); an explicit "\\n" begins a line at
    the cluster after it. A unit wider than a whole line is split between clusters.
    """
    starts: list[int] = []
    used = 0.0
    line_empty = True
    for unit in _units(clusters):
        first = unit[0]
        if clusters[first] == "\n":
            starts.append(first + 1)
            used, line_empty = 0.0, True
            continue
        width = sum(widths[i] for i in unit)
        if clusters[first] == " ":
            if not line_empty:
                used += width  # a space at the end of a line may hang over the edge
            continue
        if used + width <= limit or (line_empty and width <= limit):
            used += width
            line_empty = False
            continue
        if not line_empty:
            starts.append(first)
            used = 0.0
            if width <= limit:
                used, line_empty = width, False
                continue
        # Wider than a whole line: split between clusters, never inside one.
        for i in unit:
            if used + widths[i] > limit and used > 0:
                starts.append(i)
                used = 0.0
            used += widths[i]
        line_empty = False
    return [s for s in starts if s < len(clusters)]
