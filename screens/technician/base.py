"""What the technician screens share: the PIN check on entry, the console, and a
layout of a message line, the content list and the action buttons (tech.kv)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.properties import StringProperty
from kivy.uix.gridlayout import GridLayout

from kiosk.technician.console import TechnicianConsole
from screens.base import KioskScreen
from screens.services.parts import button, para
from screens.widgets import Card, load_kv

load_kv(Path(__file__).with_name("tech.kv"))


def worker(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="technician-task", daemon=True).start()


class TechScreen(KioskScreen):
    #: One line above the content: what this screen shows, or the last action's result.
    message = StringProperty("")
    status = StringProperty("")

    @property
    def console(self) -> TechnicianConsole:
        return self.nav.hidden_entry.console

    def show(self, **params: Any) -> None:
        self.status = ""

    def device_view(self) -> Any:
        # Behind the PIN pad nothing shows the devices (and a rebuilt pad would lose
        # the digits typed so far); past it, the device table and self-tests do.
        if not self.nav.hidden_entry.authenticated:
            return None
        return self.console.device_rows()

    def refresh(self) -> None:
        if not self.nav.hidden_entry.authenticated:
            # Reached without the PIN (or the technician session timed out): the pad.
            self.ids.content.clear_widgets()
            self.ids.actions.clear_widgets()
            self.nav.bridge.post(self.nav.go, "tech_pin")
            return
        self.ids.content.clear_widgets()
        self.ids.actions.clear_widgets()
        self.render()
        self.action("ts.tech.menu", lambda: self.nav.go("tech_menu"), "menu", style="surface")

    def render(self) -> None:
        """Fill ``ids.content`` and ``ids.actions``."""

    # -- building blocks -----------------------------------------------------------------
    def add(self, widget: Any) -> Any:
        self.ids.content.add_widget(widget)
        return widget

    def action(self, key: str, on_press: Callable[[], None], name: str,
               style: str = "primary") -> Any:
        b = button(self.ui, self.ui.tr(key), on_press, style=style, name=name)
        if self.ui.theme.landscape:  # a row of fixed buttons; portrait shares the width
            b.size_hint_x = None
            b.width = self.ui.theme.target * 4.5
        self.ids.actions.add_widget(b)
        return b

    def table(self, heading: str, pairs: list[tuple[str, str]], *,
              bad: bool = False, parent: Any = None, heading_size: str = "heading") -> Card:
        """A card with a heading and label/value lines."""
        ui = self.ui
        theme = ui.theme
        card = Card(bg=theme.colour("surface"), radius=theme.radius, padding=theme.pad,
                    spacing=theme.gap * 0.4)
        card.add_widget(para(ui, heading, size=heading_size, bold=True,
                             colour="danger" if bad else "primary_text"))
        grid = GridLayout(cols=2, size_hint_y=None, spacing=(theme.gap, theme.gap * 0.3))
        grid.bind(minimum_height=grid.setter("height"))
        for label, value in pairs:
            left = para(ui, label, size="small", colour="muted")
            left.size_hint_x = 0.35
            right = para(ui, value, size="small")
            grid.add_widget(left)
            grid.add_widget(right)
        card.add_widget(grid)
        if parent is not None:
            parent.add_widget(card)
            return card
        self.add(card)
        return card
