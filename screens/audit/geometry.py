"""What a person sees of a widget tree: which widgets are shown, where, and how
much of them.

"Visible" (decided here, used by every rule):

- the widget and all its ancestors have ``opacity > 0``;
- the widget is at least 2 px wide and high (Kivy's hidden-by-size idiom);
- it is in the tree the walk audits: a ScreenManager keeps only the current
  screen as a child, so the other screens are never reached;
- its rectangle, clipped by every StencilView ancestor (ScrollView is one) and by
  the window, has an area (a row scrolled out of view is not seen, but rule (a)
  still asks that it can be scrolled into view);
- a widget (or ancestor) with ``audit_ignore = True`` is not audited at all: for
  developer-only overlays such as the simulator panel.

Disabled widgets are still visible (greyed); they are no touch targets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.stencilview import StencilView
from kivy.uix.textinput import TextInput

#: Slack in pixels for rounding (layouts place at fractional pixels).
TOLERANCE = 1.5


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def top(self) -> float:
        return self.y + self.h

    def intersect(self, other: Rect) -> Rect | None:
        x, y = max(self.x, other.x), max(self.y, other.y)
        r, t = min(self.right, other.right), min(self.top, other.top)
        if r - x <= 0 or t - y <= 0:
            return None
        return Rect(x, y, r - x, t - y)

    def overflow(self, outer: Rect) -> dict[str, float]:
        """How far this rectangle sticks out of ``outer`` on each side (px > tolerance)."""
        sides = {"left": outer.x - self.x, "right": self.right - outer.right,
                 "bottom": outer.y - self.y, "top": self.top - outer.top}
        return {k: v for k, v in sides.items() if v > TOLERANCE}

    def __str__(self) -> str:
        return f"{self.w:.0f}×{self.h:.0f}@({self.x:.0f},{self.y:.0f})"


def window_rect(widget: Any) -> Rect:
    x0, y0 = widget.to_window(widget.x, widget.y)
    x1, y1 = widget.to_window(widget.right, widget.top)
    return Rect(min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0))


def ancestors(widget: Any) -> Iterator[Any]:
    w = widget.parent
    while w is not None and w is not w.parent:
        yield w
        w = w.parent


def ignored(widget: Any) -> bool:
    return any(getattr(w, "audit_ignore", False) for w in (widget, *ancestors(widget)))


def shown(widget: Any) -> bool:
    """Opaque and sized: drawn somewhere, maybe outside the window or a scroll view."""
    if widget.width < 2 or widget.height < 2:
        return False
    return all(w.opacity > 0 for w in (widget, *ancestors(widget)))


def clip_rect(widget: Any, window: Rect) -> Rect | None:
    """The part of the screen where ``widget`` can be seen: the window cut by every
    StencilView ancestor (None when nothing is left)."""
    area: Rect | None = window
    for parent in ancestors(widget):
        if isinstance(parent, StencilView) and area is not None:
            area = area.intersect(window_rect(parent))
    return area


def seen_rect(widget: Any, window: Rect, rect: Rect | None = None) -> Rect | None:
    """What a person sees of ``widget`` (or of ``rect``, e.g. its text): None if nothing."""
    if not shown(widget):
        return None
    clip = clip_rect(widget, window)
    if clip is None:
        return None
    return (rect or window_rect(widget)).intersect(clip)


def is_touchable(widget: Any) -> bool:
    if getattr(widget, "audit_touchable", None) is not None:
        return bool(widget.audit_touchable)
    return isinstance(widget, ButtonBehavior | TextInput) and not widget.disabled


def is_text(widget: Any) -> bool:
    return isinstance(widget, Label) and bool(str(widget.text).strip())


def text_rect(label: Any) -> Rect:
    """Where a Label's text is drawn (Kivy centres the texture on the widget; a
    texture larger than the widget spills over it, unclipped)."""
    tw, th = label.texture_size
    r = window_rect(label)
    if tw <= 0 or th <= 0:
        return r
    cx, cy = r.x + r.w / 2, r.y + r.h / 2
    return Rect(cx - tw / 2, cy - th / 2, tw, th)


def widget_id(widget: Any) -> str:
    """A name for a widget that is the same in standard and elderly mode (and readable
    in a report): its ``audit_id``, ``action``, key value or kv id, else its class and
    text, else its path of classes from the root."""
    for attr in ("audit_id", "action", "key_value"):
        value = getattr(widget, attr, None)
        if isinstance(value, str) and value:
            return f"{type(widget).__name__}[{attr}={value}]"
    for parent in ancestors(widget):
        for name, child in getattr(parent, "ids", {}).items():
            if child is widget:
                return f"{type(parent).__name__}.{name}"
    text = getattr(widget, "title", "") or getattr(widget, "text", "")
    if isinstance(text, str) and text.strip():
        return f"{type(widget).__name__}[{text.strip()[:24]!r}]"
    path = []
    w: Any = widget
    for parent in ancestors(widget):
        path.append(f"{type(w).__name__}{parent.children[::-1].index(w)}")
        w = parent
    return "/".join(reversed(path))


def scroll_reach(widget: Any) -> tuple[Any, Rect] | None:
    """The nearest ScrollView ancestor and the area a person can scroll into view in
    it (its content along the scrolling axes, its viewport across them)."""
    for parent in ancestors(widget):
        if isinstance(parent, ScrollView):
            view = window_rect(parent)
            if not parent.children:
                return parent, view
            content = window_rect(parent.children[0])
            x, w = (content.x, content.w) if parent.do_scroll_x else (view.x, view.w)
            y, h = (content.y, content.h) if parent.do_scroll_y else (view.y, view.h)
            return parent, Rect(x, y, w, h)
    return None
