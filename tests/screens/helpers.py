"""Finding widgets in the shell the way a citizen sees them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView


def visible(widget: Any) -> bool:
    """Shown on screen: non-zero size, not transparent, and inside every ancestor
    scroll view's viewport and the current screen (hidden screens are not in the tree)."""
    w: Any = widget
    while w is not None:
        if w.opacity == 0 or w.width <= 1 or w.height <= 1:
            return False
        w = w.parent if w.parent is not w else None
    for parent in ancestors(widget):
        if isinstance(parent, ScrollView):
            _x, y = widget.to_window(*widget.pos)
            _sx, sy = parent.to_window(*parent.pos)
            if y + widget.height <= sy or y >= sy + parent.height:
                return False
    return True


def ancestors(widget: Any) -> Iterator[Any]:
    w = widget.parent
    while w is not None and w is not w.parent:
        yield w
        w = w.parent


def widgets(shell: Any, kind: type = object, where: Callable[[Any], bool] = lambda w: True
            ) -> list[Any]:
    return [w for w in shell.walk(restrict=True) if isinstance(w, kind) and where(w)]


def buttons(shell: Any) -> list[Any]:
    return [w for w in widgets(shell, ButtonBehavior) if visible(w) and not w.disabled]


def labels(shell: Any) -> list[Any]:
    return [w for w in widgets(shell, Label) if visible(w) and w.text.strip()]


def one(found: list[Any]) -> Any:
    assert found, "widget not found"
    return found[0]
