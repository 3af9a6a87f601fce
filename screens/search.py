"""Search by Chinese name or pinyin initials (``gjj`` → 公积金) with an on-screen keyboard.

A kiosk has no system keyboard: the citizen types letters on a large keyboard drawn
here; each key press runs the catalog search and lists the results.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.properties import StringProperty

from screens.base import KioskScreen
from screens.items import item_row
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))

MAX_QUERY = 24
RESULT_LIMIT = 30


class SearchScreen(KioskScreen):
    title_key = "ui.search.title"
    query = StringProperty("")

    def show(self, **params: Any) -> None:
        self.query = params.get("query", "")

    def key(self, value: str) -> None:
        if value == "backspace":
            self.query = self.query[:-1]
        elif value == "clear":
            self.query = ""
        elif len(self.query) < MAX_QUERY:
            self.query += value
        self.refresh()

    def key_size(self) -> float:
        theme = self.ui.theme
        # ten keys and their gaps must fit across a portrait screen
        return float(min(theme.key, (theme.width - 2 * theme.pad) / 11.2))

    def refresh(self) -> None:
        box = self.ids.rows
        box.clear_widgets()
        results = self.ui.kiosk.find(self.query, RESULT_LIMIT) if self.query else []
        for item in results:
            box.add_widget(item_row(self.ui, item, self.open_item))
        if self.query:
            self.ids.status.text = (self.ui.tr("ui.search.count", count=len(results)) if results
                                    else self.ui.tr("ui.search.none"))
        else:
            self.ids.status.text = self.ui.tr("ui.search.hint")
        self.ids.scroll.scroll_y = 1

    def open_item(self, code: str) -> None:
        self.nav.go("guide", code=code)
