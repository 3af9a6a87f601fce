"""取号: pick a window category → a number, printed on a ticket (or shown on the
screen when the printer cannot print it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.uix.gridlayout import GridLayout

from screens.services.base import ServiceScreen
from screens.services.parts import button, para, section
from screens.widgets import Tile, load_kv

load_kv(Path(__file__).with_suffix(".kv"))


class QueueScreen(ServiceScreen):
    kind = "queue"
    title_key = "ui.home.queue"
    done_key = "ts.svc.ticket_done"

    def show(self, **params: Any) -> None:
        super().show(**params)
        # From the window-only guide: the item's window is chosen already.
        window = params.get("window")
        if window and self.desk.category(str(window)) is not None:
            self.fire("chose", service=str(window))

    def render(self, view: dict[str, Any]) -> None:
        ui = self.ui
        theme = ui.theme
        content = self.ids.content
        actions = self.ids.actions
        if self.state == "choose":
            grid = GridLayout(cols=3 if theme.landscape else 2, spacing=theme.gap,
                              size_hint_y=None)
            grid.bind(minimum_height=grid.setter("height"))
            # A row as tall as its longest name needs (English names wrap to 3 lines).
            least = theme.size("tile") * (0.7 if theme.landscape else 0.9)
            for category in self.desk.categories():
                tile = Tile(title=f"{category.letter}  {ui.lt(category.name)}",
                            subtitle=ui.tr("ts.svc.queue_window"),
                            bg=theme.colour("surface"), fg=theme.colour("on_surface"),
                            stripe=theme.colour("primary"),
                            border_colour=theme.colour("border"),
                            title_size=theme.heading if theme.landscape else theme.body * 1.2,
                            subtitle_size=theme.small,
                            radius=theme.radius, min_target=theme.target)
                tile.size_hint_y = None
                tile.height = least
                tile.bind(texture_size=lambda t, size, least=least: setattr(
                    t, "height", max(least, size[1] + theme.gap * 2)))
                tile.category_id = category.id
                tile.bind(on_release=lambda t: self.fire("chose", service=t.category_id))
                grid.add_widget(tile)
            content.add_widget(grid)
            hall = ui.kiosk.site.services.nearest_hall
            if hall is not None:  # a site without government windows says where they are
                content.add_widget(para(ui, ui.tr("ts.svc.queue_elsewhere",
                                                  hall=ui.lt(hall))))
        elif view.get("ticket"):
            content.add_widget(self._ticket_card(view))
            if self.state == "on_screen":
                actions.add_widget(button(ui, ui.tr("ts.svc.reprint"),
                                          lambda: self.fire("reprint"), name="reprint"))
                actions.add_widget(button(ui, ui.tr("ts.svc.done"), lambda: self.fire("next"),
                                          style="surface", name="done"))
        elif self.state == "error":
            actions.add_widget(button(ui, ui.tr("ts.svc.retry"), lambda: self.fire("retry"),
                                      name="retry"))
        self.ids.scroll.scroll_y = 1

    def _ticket_card(self, view: dict[str, Any]) -> Any:
        ui = self.ui
        ticket = view["ticket"]
        category = self.desk.category(str(view.get("choice") or ""))
        name = ui.lt(category.name) if category is not None else ""
        card = section(ui, ui.tr("ts.svc.your_number"))
        number = para(ui, str(ticket["number"]), size="title", colour="primary_text", bold=True)
        number.font_size = ui.theme.size("title") * 2.4
        number.halign = "center"
        card.add_widget(number)
        card.add_widget(para(ui, name, size="heading", bold=True))
        card.add_widget(para(ui, ui.tr("ts.svc.waiting", count=ticket.get("waiting", 0))))
        card.add_widget(para(ui, ui.tr("ts.svc.queue_listen")))
        return card
