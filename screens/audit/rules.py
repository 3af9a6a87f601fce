"""The layout rules, each a function of one widget tree (the window's content as
the walk shows it) returning findings. Rule letters as in the audit's README
section (screens/audit/__init__.py).

A label may be shortened with "…" only when it says so: ``audit_ellipsize = True``
on the label (the screen must then offer the whole text elsewhere, e.g. a detail
screen behind the row).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from screens.audit import geometry as g
from screens.audit import text as t

MIN_TARGET_DP = 60
MIN_TEXT_DP = 18


@dataclass(frozen=True)
class Finding:
    widget: str
    rule: str
    detail: str


@dataclass
class Tree:
    """The widgets of one screen as audited: every widget under ``root`` that is not
    ignored, and the window's rectangle."""

    root: Any
    window: g.Rect
    scale: float = 1.0  # px per dp

    def __post_init__(self) -> None:
        self.widgets = [w for w in self.root.walk(restrict=True) if not g.ignored(w)]


def _describe(widget: Any) -> str:
    return g.widget_id(widget)


def inside(tree: Tree) -> list[Finding]:
    """(a) every shown text or touch target lies inside the window and inside every
    clipping ancestor, or where its scroll view can bring it."""
    found = []
    for w in tree.widgets:
        if not (g.is_text(w) or g.is_touchable(w)) or not g.shown(w):
            continue
        rect = g.window_rect(w)
        reach = g.scroll_reach(w)
        limits: list[tuple[str, g.Rect]] = []
        if reach is not None:
            view, area = reach
            limits.append((f"the scrollable area of {_describe(view)}", area))
            outer = g.clip_rect(view, tree.window)
            if outer is None:
                limits.append(("the window", tree.window))
            else:
                # Scrolling moves the widget inside the viewport; what the viewport
                # itself shows is limited by its own ancestors.
                view_rect = g.window_rect(view)
                if view_rect.overflow(outer):
                    limits.append((f"the visible part of {_describe(view)}", outer))
                    rect = view_rect
        else:
            clip = g.clip_rect(w, tree.window)
            limits.append(("the window and its clipping parents", clip or g.Rect(0, 0, 0, 0)))
        for where, area in limits:
            sides = rect.overflow(area)
            if sides:
                what = ", ".join(f"{v:.0f} px past the {k}" for k, v in sides.items())
                found.append(Finding(_describe(w), "a-inside",
                                     f"{rect} sticks out of {where} {area}: {what}"))
                break
    return found


def _is_ancestor(a: Any, b: Any) -> bool:
    return any(p is a for p in g.ancestors(b))


def _seen(tree: Tree) -> list[tuple[Any, g.Rect]]:
    """Touch targets where they take touches and text where it is drawn (a button's
    text that spills out of it is seen over its neighbours too)."""
    out = []
    for w in tree.widgets:
        rects = []
        if g.is_touchable(w):
            rects.append(g.seen_rect(w, tree.window))
        if g.is_text(w):
            rects.append(g.seen_rect(w, tree.window, g.text_rect(w)))
        out += [(w, r) for r in rects if r is not None]
    return out


def overlap(tree: Tree) -> list[Finding]:
    """(b) no two text-bearing or touchable widgets overlap, as seen (text where it
    is drawn, targets where they take touches); a widget and its own descendants
    are exempt."""
    seen = _seen(tree)
    found = []
    for i, (a, ra) in enumerate(seen):
        for b, rb in seen[i + 1:]:
            if a is b:
                continue
            both = ra.intersect(rb)
            if both is None or both.w <= g.TOLERANCE or both.h <= g.TOLERANCE:
                continue
            if _is_ancestor(a, b) or _is_ancestor(b, a):
                continue
            found.append(Finding(_describe(a), "b-overlap",
                                 f"{ra} overlaps {_describe(b)} {rb} by {both.w:.0f}×{both.h:.0f}"))
    return found


def clipped(tree: Tree) -> list[Finding]:
    """(c) every visible label draws all of its text, inside its own rectangle, unless
    it is marked ``audit_ellipsize``."""
    found = []
    for w in tree.widgets:
        if not g.is_text(w) or not g.shown(w):
            continue
        if getattr(w, "audit_ellipsize", False):
            continue
        lost = t.dropped(w)
        if lost:
            found.append(Finding(_describe(w), "c-clipped", lost))
            continue
        tw, th = w.texture_size
        if tw > w.width + g.TOLERANCE or th > w.height + g.TOLERANCE:
            found.append(Finding(_describe(w), "c-clipped",
                                 f"text {tw:.0f}×{th:.0f} px spills out of the widget "
                                 f"{w.width:.0f}×{w.height:.0f}: "
                                 f"{t.plain_text(w)[:40]!r}"))
    return found


def glyphs(tree: Tree) -> list[Finding]:
    """(d) every character of every visible label is in the cmap of the font that
    draws it (see screens/audit/text.py for the ``font_runs`` hook)."""
    found = []
    for w in tree.widgets:
        if not g.is_text(w) or not g.shown(w):
            continue
        missing: dict[str, list[str]] = {}
        for path, run in t.runs(w):
            have = t.cmap(path)
            for char in run:
                if t.needs_glyph(char) and ord(char) not in have:
                    missing.setdefault(path, [])
                    if char not in missing[path]:
                        missing[path].append(char)
        for path, chars in missing.items():
            names = " ".join(f"{c} U+{ord(c):04X}" for c in chars[:8])
            found.append(Finding(_describe(w), "d-tofu",
                                 f"{names} not in {path.rsplit('/', 1)[-1]}"))
    return found


def elderly_sizes(tree: Tree) -> list[Finding]:
    """(e) first half, for elderly mode: touch targets ≥ 60×60 dp, text ≥ 18 dp."""
    found = []
    for w in tree.widgets:
        if not g.shown(w):
            continue
        if g.is_touchable(w):
            wd, hd = w.width / tree.scale, w.height / tree.scale
            if min(wd, hd) < MIN_TARGET_DP - 0.5:
                found.append(Finding(_describe(w), "e-elderly-size",
                                     f"touch target {wd:.0f}×{hd:.0f} dp < "
                                     f"{MIN_TARGET_DP}×{MIN_TARGET_DP}"))
        if g.is_text(w):
            size = min(t.text_sizes(w)) / tree.scale
            if size < MIN_TEXT_DP - 0.01:
                found.append(Finding(_describe(w), "e-elderly-size",
                                     f"text {size:.1f} dp < {MIN_TEXT_DP}: "
                                     f"{t.plain_text(w)[:30]!r}"))
    return found


def targets(tree: Tree) -> dict[str, tuple[float, float]]:
    """The visible touch targets by their stable id, for comparing the two modes."""
    out: dict[str, tuple[float, float]] = {}
    for w in tree.widgets:
        if g.is_touchable(w) and g.shown(w):
            out.setdefault(_describe(w), (float(w.width), float(w.height)))
    return out


def not_smaller(standard: dict[str, tuple[float, float]],
                elderly: dict[str, tuple[float, float]]) -> list[Finding]:
    """(e) second half: no touch target is smaller in elderly mode than in standard:
    its shorter side (what a finger must hit) does not shrink, nor its area by more
    than 5 % (a tile 2 px narrower because the gaps grew, but taller, is not smaller)."""
    found = []
    for key, (ew, eh) in elderly.items():
        if key not in standard:
            continue
        sw, sh = standard[key]
        if min(ew, eh) < min(sw, sh) - g.TOLERANCE or ew * eh < sw * sh * 0.95:
            found.append(Finding(key, "e-elderly-smaller",
                                 f"{ew:.0f}×{eh:.0f} px in elderly mode, "
                                 f"{sw:.0f}×{sh:.0f} px in standard"))
    return found


def kinsoku(tree: Tree) -> list[Finding]:
    """(f) no drawn line starts with closing punctuation or ends with opening
    punctuation (GB/T 15834)."""
    found = []
    for w in tree.widgets:
        if not g.is_text(w) or not g.shown(w):
            continue
        drawn = [line.rstrip() for line in t.lines(w)]
        for n, line in enumerate(drawn):
            if n > 0 and line[:1] in t.NO_LINE_START and drawn[n - 1]:
                found.append(Finding(_describe(w), "f-line-break",
                                     f"line {n + 1} starts with {line[:1]!r}: {line[:20]!r}"))
            if n < len(drawn) - 1 and line[-1:] in t.NO_LINE_END:
                found.append(Finding(_describe(w), "f-line-break",
                                     f"line {n + 1} ends with {line[-1:]!r}: {line[-20:]!r}"))
    return found


#: The rules every screen is checked with; elderly_sizes only in elderly mode.
EVERY_SCREEN = (inside, overlap, clipped, glyphs, kinsoku)
