"""Home: big tiles for the services of the kiosk, the language and 长辈版; in maintenance
(暂停服务) the reason the technician gave instead of the services (the core's
``kiosk.maintenance_view()``), the language and 长辈版 toggles still there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.properties import BooleanProperty
from kivy.uix.widget import Widget

from screens.base import KioskScreen
from screens.widgets import Card, Para, Tile, load_kv

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


#: The tiles Home keeps in maintenance: a citizen can still read it in their language.
MAINTENANCE_TILES = ("language", "elderly")


class HomeScreen(KioskScreen):
    title_key = "ui.home.title"
    maintenance = BooleanProperty(False)
    _card: Card | None = None
    _spacer: Widget | None = None

    def content_key(self) -> Any:
        # the tiles change with the language and 长辈版 (the theme), and maintenance
        return self.ui.kiosk.maintenance.state

    def refresh(self) -> None:
        view = self.ui.kiosk.maintenance_view()
        self.maintenance = view is not None
        self._notice(view)
        grid = self.ids.tiles
        grid.clear_widgets()
        theme = self.ui.theme
        # In maintenance the notice comes first and the two toggles one row of fixed
        # height under it, at the top of the grid's room.
        grid.cols = len(MAINTENANCE_TILES) if view is not None else theme.columns
        row: dict[str, Any] = {"size_hint_y": None, "height": theme.target * 1.1} \
            if view is not None else {}
        for tile_id, title, subtitle, style in TILES:
            if view is not None and tile_id not in MAINTENANCE_TILES:
                continue
            if tile_id == "elderly" and self.ui.elderly:
                # The active mode's tile says how to go back to standard.
                title, subtitle = "ui.home.elderly_exit", "ui.home.elderly_exit_sub"
            # in maintenance the toggles are titles only: the notice needs the height
            tile = Tile(title=self.ui.tr(title),
                        subtitle="" if view is not None else self.ui.tr(subtitle),
                        bg=theme.colour(style), fg=theme.colour(f"on_{style}"),
                        stripe=theme.colour("primary") if style == "surface" else (0, 0, 0, 0),
                        border_colour=theme.colour("border"),
                        title_size=theme.heading, subtitle_size=theme.small,
                        radius=theme.radius, min_target=theme.target, **row)
            tile.tile_id = tile_id
            tile.bind(on_release=lambda t: self.press(t.tile_id))
            grid.add_widget(tile)

    def _notice(self, view: Any) -> None:
        """暂停服务, the reason as typed and what to do instead, on the danger colour,
        above the tiles (and out of the layout when the kiosk serves)."""
        for widget in (self._card, self._spacer):
            if widget is not None:
                self.ids.column.remove_widget(widget)
        self._card = self._spacer = None
        if view is None:
            return
        theme, ui = self.ui.theme, self.ui
        on_danger = theme.colour("on_danger")
        # Landscape elderly (the bank's hint names its hall, two lines) is the tightest:
        # the card gives up padding before the texts give up size.
        card = Card(bg=theme.colour("danger"), radius=theme.radius,
                    padding=(theme.pad, theme.pad * (0.6 if theme.landscape else 1.5)),
                    spacing=theme.gap * (0.6 if theme.landscape else 1.0))
        card.audit_id = "maintenance"
        card.add_widget(Para(text=ui.tr(view.title_key), color=on_danger, bold=True,
                             font_size=theme.title * 1.25, halign="center"))
        card.add_widget(Para(text=ui.tr(view.reason_key, reason=view.reason), color=on_danger,
                             font_size=theme.heading, halign="center"))
        card.add_widget(Para(text=ui.tr(view.hint_key, hall=ui.lt(view.hall)),
                             color=on_danger, font_size=theme.body, halign="center"))
        self.ids.column.add_widget(card, index=1)  # children run bottom-up: above the tiles
        self._card = card
        if not theme.landscape:
            # Portrait has the height: the notice and its two toggles stand a fifth of the
            # way down rather than under the title with the screen empty below them.
            self._spacer = Widget(size_hint_y=0.25)
            self.ids.column.add_widget(self._spacer, index=2)

    def press(self, tile_id: str) -> None:
        if self.maintenance and tile_id not in MAINTENANCE_TILES:
            return  # 暂停服务: nothing starts (the tile is not shown either)
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
