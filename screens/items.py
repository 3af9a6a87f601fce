"""The items of one department or life event, each with whether it can start here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.properties import StringProperty

from kiosk.catalog import ServiceItem
from kiosk.catalog.availability import Status
from screens.base import KioskScreen, Same
from screens.state import UiState
from screens.widgets import ItemRow, load_kv

load_kv(Path(__file__).with_suffix(".kv"))

#: Badge text key and colour name per availability / channel.
_BADGES = {
    Status.SUSPENDED: ("ui.badge.suspended", "danger"),
    Status.WINDOW_ONLY: ("ui.badge.window_only", "window"),
    "kiosk_complete": ("ui.badge.kiosk_complete", "success"),
    "kiosk_intake": ("ui.badge.kiosk_intake", "primary"),
}


def item_row(ui: UiState, item: ServiceItem, on_press: Callable[[str], Any]) -> ItemRow:
    """A list row for ``item`` (shared by the item list and the search results)."""
    theme = ui.theme
    kiosk = ui.kiosk
    status = kiosk.check(item).status
    badge_key, colour = _BADGES.get(status, _BADGES.get(item.channel, _BADGES["kiosk_intake"]))
    dept = ui.lt(kiosk.catalog.department(item.department).name)
    row = ItemRow(title=ui.lt(item.name), meta=dept, badge=ui.tr(badge_key),
                  badge_bg=theme.colour(colour), badge_fg=theme.colour(f"on_{colour}"),
                  bg=theme.colour("surface"), fg=theme.colour("on_surface"),
                  border_colour=theme.colour("border"), radius=theme.radius,
                  title_size=theme.body * 1.15, meta_size=theme.small,
                  min_target=theme.target)
    row.item_code = item.code
    row.bind(on_release=lambda r: on_press(r.item_code))
    return row


class ItemsScreen(KioskScreen):
    mode = StringProperty("department")
    group = StringProperty("")

    def show(self, **params: Any) -> None:
        self.mode = params.get("mode", "department")
        self.group = params.get("group", "")
        self._to_top = True  # a new visit starts at the top; a refresh keeps the place

    def device_view(self) -> Any:
        return tuple(self.ui.kiosk.check(item) for item in self.items())

    def content_key(self) -> Any:
        return (self.mode, self.group, Same(self.ui.kiosk.catalog))

    def revisit(self) -> None:
        self.ids.scroll.scroll_y = 1
        self._to_top = False

    def items(self) -> list[ServiceItem]:
        catalog = self.ui.kiosk.catalog
        found: list[ServiceItem] = (catalog.by_department(self.group)
                                    if self.mode == "department"
                                    else catalog.by_life_event(self.group))
        return found

    def title(self) -> str:
        catalog = self.ui.kiosk.catalog
        if self.mode == "department":
            return str(self.ui.lt(catalog.department(self.group).name))
        event = next((e for e in catalog.life_events if e.id == self.group), None)
        return str(self.ui.lt(event.name)) if event else ""

    def refresh(self) -> None:
        box = self.ids.rows
        box.clear_widgets()
        for item in self.items():
            box.add_widget(item_row(self.ui, item, self.open_item))
        if getattr(self, "_to_top", True):
            self.ids.scroll.scroll_y = 1
            self._to_top = False

    def open_item(self, code: str) -> None:
        self.nav.go("guide", code=code)
