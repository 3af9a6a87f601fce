"""Theme rules that need no window: WCAG contrast of every text/background pair and
the elderly-mode sizes (the rendered sizes are checked in test_accessibility.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.config.model import load_config, load_site
from screens.theme import ELDERLY, NORMAL, contrast, make_theme, palette

ROOT = Path(__file__).resolve().parents[2]
SITES = sorted(p.stem for p in (ROOT / "config/sites").glob("*.yaml"))
colours = st.integers(0, 0xFFFFFF).map(lambda v: f"#{v:06X}")


def test_contrast_formula_matches_wcag_examples() -> None:
    assert contrast("#FFFFFF", "#000000") == pytest.approx(21.0)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
    assert contrast("#1F5FAF", "#1F5FAF") == 1.0


@pytest.mark.parametrize("site_name", SITES)
def test_every_text_pair_of_each_site_has_contrast(site_name: str) -> None:
    site = load_site(load_config(), site_name)
    b = site.branding
    pairs = palette(b.primary, b.accent, b.background).text_pairs()
    low = {name: round(contrast(fg, bg), 2) for name, (fg, bg) in pairs.items()
           if contrast(fg, bg) < 4.5}
    assert not low, f"WCAG 1.4.3 needs 4.5:1; too low in {site_name}: {low}"


@given(colours, colours, colours)
def test_any_branding_keeps_text_legible(primary: str, accent: str, background: str) -> None:
    for name, (fg, bg) in palette(primary, accent, background).text_pairs().items():
        assert contrast(fg, bg) >= 4.5, (name, fg, bg)


def test_elderly_sizes_meet_the_minimums() -> None:
    assert ELDERLY.body >= 18 and ELDERLY.small >= 18
    assert ELDERLY.target >= 60 and ELDERLY.key >= 60
    assert ELDERLY.body > NORMAL.body and ELDERLY.target > NORMAL.target


@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
def test_same_physical_size_in_both_orientations(orientation: str) -> None:
    theme = make_theme("#1F5FAF", "#E8A33D", "#F4F6F9", orientation=orientation,  # type: ignore[arg-type]
                       elderly=True)
    assert theme.scale == pytest.approx(1.5)
    assert theme.size("body") == 39.0 and theme.size("target") == 108.0
    assert theme.columns == (4 if orientation == "landscape" else 2)
