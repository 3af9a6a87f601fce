"""The strokes a citizen draws on the pad, as plain data (no UI, no library)."""

from __future__ import annotations

from dataclasses import dataclass, field

Point = tuple[int, int]

#: Points closer than this (pad units) to the previous one add nothing but work.
_MIN_STEP = 2
#: A pad never needs more: a complex character has ~30 strokes of ~50 points.
MAX_STROKES = 64
MAX_POINTS = 4096


@dataclass
class Ink:
    """Strokes on a ``width`` x ``height`` pad, origin top-left, y down."""

    width: int
    height: int
    strokes: list[list[Point]] = field(default_factory=list)
    _drawing: bool = field(default=False, repr=False)

    @property
    def empty(self) -> bool:
        return not any(self.strokes)

    def points(self) -> int:
        return sum(len(s) for s in self.strokes)

    def begin(self, x: float, y: float) -> bool:
        """Pen down; False when the pad is full (the stroke is ignored)."""
        if len(self.strokes) >= MAX_STROKES or self.points() >= MAX_POINTS:
            self._drawing = False
            return False
        self.strokes.append([self._clamp(x, y)])
        self._drawing = True
        return True

    def move(self, x: float, y: float) -> None:
        if not self._drawing or self.points() >= MAX_POINTS:
            return
        p = self._clamp(x, y)
        last = self.strokes[-1][-1]
        if abs(p[0] - last[0]) + abs(p[1] - last[1]) >= _MIN_STEP:
            self.strokes[-1].append(p)

    def end(self) -> None:
        self._drawing = False

    def undo(self) -> None:
        """Remove the last stroke (撤销一笔)."""
        if self.strokes:
            self.strokes.pop()
        self._drawing = False

    def clear(self) -> None:
        """Remove every stroke (清除); also what the session wipe calls."""
        self.strokes.clear()
        self._drawing = False

    def centred(self, min_extent: float = 0.5) -> list[list[Point]]:
        """The strokes moved to the middle of the pad, and a character drawn smaller than
        ``min_extent`` of the pad grown to that size; larger ones keep their size.

        The recognizer measures strokes against the whole pad, so a character written
        small in a corner (common on a large pad, and for elderly hands) is misread; but
        size is also information (口 is small, 囗 fills the box), so only tiny writing
        is enlarged."""
        pts = [p for stroke in self.strokes for p in stroke]
        if not pts:
            return []
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
        extent = max((max(xs) - min(xs)) / self.width, (max(ys) - min(ys)) / self.height, 1e-3)
        k = min_extent / extent if extent < min_extent else 1.0
        return [[self._clamp(self.width / 2 + (x - cx) * k, self.height / 2 + (y - cy) * k)
                 for x, y in stroke] for stroke in self.strokes if stroke]

    def _clamp(self, x: float, y: float) -> Point:
        return (min(max(round(x), 0), self.width - 1), min(max(round(y), 0), self.height - 1))
