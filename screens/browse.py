"""Browse the catalog by department (办事) or by life event (一件事)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.properties import StringProperty

from screens.base import KioskScreen, Same
from screens.widgets import Tile, load_kv

load_kv(Path(__file__).with_suffix(".kv"))


class BrowseScreen(KioskScreen):
    mode = StringProperty("department")  # or "life_event"

    def show(self, **params: Any) -> None:
        self.mode = params.get("mode", "department")
        self.title_key = ("ui.browse.by_department" if self.mode == "department"
                          else "ui.browse.by_life_event")

    def groups(self) -> list[tuple[str, str, int]]:
        """(id, name, number of items) of the departments or life events that have items."""
        catalog = self.ui.kiosk.catalog
        if self.mode == "department":
            found = [(d.id, self.ui.lt(d.name), len(catalog.by_department(d.id)))
                     for d in catalog.departments]
        else:
            found = [(e.id, self.ui.lt(e.name), len(catalog.by_life_event(e.id)))
                     for e in catalog.life_events]
        return [g for g in found if g[2] > 0]

    def content_key(self) -> Any:
        return (self.mode, Same(self.ui.kiosk.catalog))

    def revisit(self) -> None:
        self.ids.scroll.scroll_y = 1

    def refresh(self) -> None:
        grid = self.ids.tiles
        grid.clear_widgets()
        theme = self.ui.theme
        grid.cols = theme.columns + (1 if theme.landscape else 0)
        # a landscape screen is short: lower tiles keep two rows in view without scrolling
        height = theme.tile * (0.75 if theme.landscape else 1.0)
        for group_id, name, count in self.groups():
            tile = Tile(title=name, subtitle=self.ui.tr("ui.browse.count", count=count),
                        bg=theme.colour("surface"), fg=theme.colour("on_surface"),
                        stripe=theme.colour("primary"), border_colour=theme.colour("border"),
                        title_size=theme.body * 1.2, subtitle_size=theme.small,
                        radius=theme.radius, min_target=theme.target,
                        size_hint_y=None, height=height)
            tile.group_id = group_id
            tile.bind(on_release=lambda t: self.nav.go("items", mode=self.mode,
                                                        group=t.group_id))
            grid.add_widget(tile)
        search = Tile(title=self.ui.tr("ui.home.search"), subtitle=self.ui.tr("ui.home.search_sub"),
                      bg=theme.colour("primary"), fg=theme.colour("on_primary"),
                      title_size=theme.body * 1.2, subtitle_size=theme.small,
                      radius=theme.radius, min_target=theme.target,
                      size_hint_y=None, height=height)
        search.bind(on_release=lambda _t: self.nav.go("search"))
        grid.add_widget(search)
        self.ids.scroll.scroll_y = 1
