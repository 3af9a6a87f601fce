"""The layout audit: does a person see and reach everything on a screen?

The headless walk (``scripts/run --headless --screenshots DIR``) calls
:meth:`Audit.check` on every screen and state it shows, in every variant (site,
orientation, language, standard or elderly mode), and writes
``DIR/audit.json``::

    {"screens_checked": N, "findings": [{"screen", "variant", "widget", "rule", "detail"}]}

Rules (screens/audit/rules.py; "visible" is defined in screens/audit/geometry.py):

- a-inside: every visible text or touch target lies inside the window and inside
  every clipping (StencilView/ScrollView) ancestor, or where scrolling brings it;
- b-overlap: no two text-bearing or touchable widgets overlap (a widget and its own
  descendants excepted; text is taken where Kivy draws it);
- c-clipped: no label loses text (height, max_lines, "…" shortening) or spills out
  of its widget, unless the label sets ``audit_ellipsize = True``;
- d-tofu: every character is in the cmap of the font that draws it; a label drawn
  with several fonts declares ``font_runs = [(font, text), ...]``;
- e-elderly-size / e-elderly-smaller: in elderly mode touch targets ≥ 60×60 dp and
  text ≥ 18 dp, and no target smaller than the same target (same widget id,
  geometry.widget_id) in standard mode;
- f-line-break: no drawn line starts with closing or ends with opening punctuation
  (GB/T 15834).

Marker attributes a widget may set: ``audit_ignore`` (developer overlays),
``audit_ellipsize``, ``audit_touchable`` (True/False overrides the class test),
``audit_id`` (a stable name across modes), ``font_runs``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from screens.audit import rules
from screens.audit.geometry import Rect
from screens.audit.rules import Finding, Tree

__all__ = ["Audit", "Finding", "Tree", "audit_tree"]


def audit_tree(tree: Tree, *, elderly: bool = False) -> list[Finding]:
    found: list[Finding] = []
    for rule in rules.EVERY_SCREEN:
        found += rule(tree)
    if elderly:
        found += rules.elderly_sizes(tree)
    return found


@dataclass
class Audit:
    """Collects the findings of a walk; one instance per walk."""

    screens_checked: int = 0
    findings: list[dict[str, str]] = field(default_factory=list)
    _standard: dict[tuple[str, str], dict[str, tuple[float, float]]] = field(
        default_factory=dict)

    def check(self, root: Any, *, screen: str, variant: str, elderly: bool,
              scale: float, pair: str | None = None) -> list[Finding]:
        """Audit what ``root`` shows now. ``pair`` names the variant without its mode
        (e.g. ``township-landscape-zh_CN``) so that elderly mode is compared with the
        standard-mode visit of the same screen."""
        from kivy.core.window import Window
        window = Rect(0, 0, float(Window.width), float(Window.height))
        if root.size[0] and root.size[1]:
            x, y = root.to_window(*root.pos)
            window = Rect(x, y, float(root.width), float(root.height))
        tree = Tree(root, window, scale)
        found = audit_tree(tree, elderly=elderly)
        key = (pair or variant, screen)
        sizes = rules.targets(tree)
        if not elderly:
            self._standard[key] = sizes
        elif key in self._standard:
            found += rules.not_smaller(self._standard[key], sizes)
        self.screens_checked += 1
        unique = list(dict.fromkeys(found))
        self.findings += [dict(screen=screen, variant=variant, **asdict(f)) for f in unique]
        return unique

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        report = {"screens_checked": self.screens_checked, "findings": self.findings}
        path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    def summary(self) -> str:
        by_rule: dict[str, int] = {}
        for f in self.findings:
            by_rule[f["rule"]] = by_rule.get(f["rule"], 0) + 1
        rules_text = ", ".join(f"{k} {v}" for k, v in sorted(by_rule.items())) or "none"
        return (f"layout audit: {self.screens_checked} screens checked, "
                f"{len(self.findings)} findings ({rules_text})")
