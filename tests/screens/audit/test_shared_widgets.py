"""The shared widgets (screens/widgets.py) pass the layout audit with long texts."""

from __future__ import annotations

from typing import Any

import pytest

from screens.audit import Tree, rules
from screens.audit.geometry import Rect

pytestmark = pytest.mark.ui

LONG = "Agricultural Machinery and Water Resources Bureau"


def test_tiles_grow_to_a_long_title_together(harness: Any) -> None:
    from kivy.uix.gridlayout import GridLayout

    from screens.shell import Shell  # noqa: F401 - loads widgets.kv (the tiles' looks)
    from screens.widgets import Tile
    grid = GridLayout(cols=2, size_hint=(None, None), width=500, spacing=10, pos=(0, 0))
    grid.bind(minimum_height=grid.setter("height"))
    tiles = [Tile(title=title, subtitle="2 services", title_size=40, subtitle_size=26,
                  size_hint_y=None, height=120) for title in (LONG, "Justice")]
    for tile in tiles:
        grid.add_widget(tile)
    grid.do_layout()
    for tile in tiles:
        tile.texture_update()
    grid.do_layout()
    tree = Tree(grid, Rect(0, 0, 500, 1000), 1.0)
    assert rules.clipped(tree) == [] and rules.overlap(tree) == []
    assert tiles[0].height == tiles[1].height > 120
    # a short title keeps the height its screen gave it
    short = Tile(title="Justice", size_hint=(None, None), width=245, height=120)
    short.texture_update()
    assert short.height == 120
