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

    def _clamp(self, x: float, y: float) -> Point:
        return (min(max(round(x), 0), self.width - 1), min(max(round(y), 0), self.height - 1))
