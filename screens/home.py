"""Home: big tiles for the services of the kiosk, the language and 长辈版."""

from __future__ import annotations

from pathlib import Path

from screens.base import KioskScreen
from screens.widgets import Tile, load_kv

load_kv(Path(__file__).with_suffix(".kv"))

#: (tile id, title key, subtitle key, style). Navigation per tile is in ``press``.
TILES = (
    ("apply", "ui.home.apply", "ui.home.apply_sub", "primary"),
    ("events", "ui.home.events", "ui.home.events_sub", "primary"),
    ("search", "ui.home.search", "ui.home.search_sub", "primary"),
    ("progress", "ui.home.progress", "ui.home.progress_sub", "surface"),
    ("print", "ui.home.print", "ui.home.print_sub", "surface"),
    ("queue", "ui.home.queue", "ui.home.queue_sub", "surface"),
    ("language", "ui.home.language", "ui.home.language_sub", "accent"),
    ("elderly", "ui.home.elderly", "ui.home.elderly_sub", "accent"),
)


class HomeScreen(KioskScreen):
    title_key = "ui.home.title"

    def content_key(self) -> tuple[()]:
        return ()  # the tiles change with the language and 长辈版 (the theme) only

    def refresh(self) -> None:
        grid = self.ids.tiles
        grid.clear_widgets()
        theme = self.ui.theme
        for tile_id, title, subtitle, style in TILES:
            if tile_id == "elderly" and self.ui.elderly:
                # The active mode's tile says how to go back to standard.
                title, subtitle = "ui.home.elderly_exit", "ui.home.elderly_exit_sub"
            tile = Tile(title=self.ui.tr(title), subtitle=self.ui.tr(subtitle),
                        bg=theme.colour(style), fg=theme.colour(f"on_{style}"),
                        stripe=theme.colour("primary") if style == "surface" else (0, 0, 0, 0),
                        border_colour=theme.colour("border"),
                        title_size=theme.heading, subtitle_size=theme.small,
                        radius=theme.radius, min_target=theme.target)
            tile.tile_id = tile_id
            tile.bind(on_release=lambda t: self.press(t.tile_id))
            grid.add_widget(tile)

    def press(self, tile_id: str) -> None:
        if tile_id == "apply":
            self.nav.go("browse", mode="department")
        elif tile_id == "events":
            self.nav.go("browse", mode="life_event")
        elif tile_id == "search":
            self.nav.go("search")
        elif tile_id in ("progress", "print", "queue"):
            self.nav.go("certificate" if tile_id == "print" else tile_id)
        elif tile_id == "language":
            self.ui.toggle_language()
        elif tile_id == "elderly":
            self.ui.toggle_elderly()
