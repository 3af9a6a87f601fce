"""The technician's menu: one tile per tool, and Exit (back to Home, session ended)."""

from __future__ import annotations

from pathlib import Path

from kivy.uix.gridlayout import GridLayout

from screens.technician.base import TechScreen
from screens.widgets import Tile, load_kv

load_kv(Path(__file__).with_suffix(".kv"))

TOOLS = ("devices", "selftest", "outbox", "backoffice", "logs", "export")


class MenuScreen(TechScreen):
    title_key = "ts.tech.title"

    def render(self) -> None:
        ui = self.ui
        theme = ui.theme
        self.message = ui.tr("ts.tech.menu_hint")
        grid = GridLayout(cols=3 if theme.landscape else 2, spacing=theme.gap,
                          size_hint_y=None, row_force_default=True,
                          row_default_height=theme.size("tile") * 0.8)
        grid.bind(minimum_height=grid.setter("height"))
        for tool in TOOLS:
            tile = Tile(title=ui.tr(f"ts.tech.{tool}"), subtitle=ui.tr(f"ts.tech.{tool}_sub"),
                        bg=theme.colour("surface"), fg=theme.colour("on_surface"),
                        stripe=theme.colour("window"), border_colour=theme.colour("border"),
                        title_size=theme.heading, subtitle_size=theme.small,
                        radius=theme.radius, min_target=theme.target)
            tile.tool = tool
            tile.bind(on_release=lambda t: self.nav.go(f"tech_{t.tool}"))
            grid.add_widget(tile)
        self.add(grid)
        self.action("ts.tech.exit", self.nav.home, "exit", style="danger")

    def refresh(self) -> None:
        super().refresh()
        # The menu's own "menu" button would lead nowhere: keep Exit only.
        for child in list(self.ids.actions.children):
            if getattr(child, "action", "") == "menu":
                self.ids.actions.remove_widget(child)
