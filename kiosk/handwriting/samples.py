"""Recorded stroke sequences (in writing order, on a 1000 x 1000 pad, y down) for
characters the handwriting tests must recognise. Each stroke is its key points;
:func:`densify` adds the in-between points a finger on a touch screen produces.

The Simplified Chinese zinnia model is sensitive to stroke order: 山 and 田 written
in the national standard order (GF 3002) are not in its top five, although other
orders are. The characters here are recognised in the standard order."""

from __future__ import annotations

import itertools
import random

from kiosk.handwriting.ink import Ink

Stroke = list[tuple[int, int]]

CHARACTERS: dict[str, list[Stroke]] = {
    "一": [[(100, 500), (900, 490)]],
    "二": [[(250, 330), (750, 330)], [(120, 700), (880, 700)]],
    "三": [[(220, 220), (780, 220)], [(280, 500), (720, 500)], [(120, 800), (880, 800)]],
    "十": [[(120, 450), (880, 450)], [(500, 100), (500, 920)]],
    "王": [[(220, 200), (780, 200)], [(250, 500), (750, 500)], [(500, 200), (500, 820)],
           [(120, 830), (880, 830)]],
    "工": [[(220, 220), (780, 220)], [(500, 220), (500, 800)], [(120, 800), (880, 800)]],
    "土": [[(220, 400), (780, 400)], [(500, 150), (500, 800)], [(120, 800), (880, 800)]],
    "口": [[(330, 300), (330, 700)], [(330, 300), (670, 300), (670, 700)],
           [(330, 690), (670, 690)]],
    "日": [[(280, 120), (280, 900)], [(280, 120), (720, 120), (720, 900)],
           [(280, 500), (720, 500)], [(280, 880), (720, 880)]],
    "中": [[(200, 300), (200, 650)], [(200, 300), (800, 300), (800, 650)],
           [(200, 630), (800, 630)], [(500, 80), (500, 950)]],
    "人": [[(500, 120), (470, 450), (350, 700), (150, 900)], [(490, 430), (650, 700), (880, 900)]],
    "大": [[(150, 400), (850, 400)], [(500, 150), (500, 400), (420, 620), (200, 880)],
           [(510, 420), (650, 650), (850, 880)]],
    "木": [[(130, 330), (870, 330)], [(500, 80), (500, 950)],
           [(490, 360), (350, 620), (150, 800)], [(510, 360), (680, 620), (880, 800)]],
    "上": [[(480, 120), (480, 850)], [(480, 450), (780, 450)], [(120, 850), (880, 850)]],
}


def densify(stroke: Stroke, step: int = 25) -> Stroke:
    out: Stroke = [stroke[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(stroke):
        n = max(1, round(max(abs(x1 - x0), abs(y1 - y0)) / step))
        out += [(round(x0 + (x1 - x0) * i / n), round(y0 + (y1 - y0) * i / n))
                for i in range(1, n + 1)]
    return out


def written(char: str, *, scale: float = 1.0, dx: int = 0, dy: int = 0, jitter: int = 0,
            seed: int = 0) -> list[Stroke]:
    """``char``'s strokes as a hand would draw them: scaled, moved, a little shaky."""
    rng = random.Random(seed)
    strokes = []
    for s in CHARACTERS[char]:
        # an unsteady hand misplaces the corners and ends of a stroke, not every pixel
        bent = [(x + rng.randint(-jitter, jitter), y + rng.randint(-jitter, jitter))
                for x, y in s]
        strokes.append([(round(500 + (x - 500) * scale + dx), round(500 + (y - 500) * scale + dy))
                        for x, y in densify(bent)])
    return strokes


def drawn(strokes: list[Stroke], size: int = 1000) -> Ink:
    """The strokes drawn on a ``size`` x ``size`` pad point by point, as a finger would."""
    ink = Ink(size, size)
    for stroke in strokes:
        ink.begin(*stroke[0])
        for p in stroke[1:]:
            ink.move(*p)
        ink.end()
    return ink
