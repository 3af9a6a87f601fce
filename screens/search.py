"""Search by Chinese name or pinyin initials (``gjj`` → 公积金) with an on-screen keyboard.

A kiosk has no system keyboard: the citizen types letters on a large keyboard drawn
here; each key press runs the catalog search and lists the results.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from kivy.properties import StringProperty
from kivy.uix.stacklayout import StackLayout

from screens.base import KioskScreen
from screens.items import item_row
from screens.widgets import KButton, load_kv

load_kv(Path(__file__).with_suffix(".kv"))

MAX_QUERY = 24
RESULT_LIMIT = 30


class SearchScreen(KioskScreen):
    title_key = "ui.search.title"
    query = StringProperty("")

    def show(self, **params: Any) -> None:
        self.query = params.get("query", "")
        self._shown_query: str | None = None

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

    def hot_words(self, limit: int = 10) -> list[str]:
        """The catalog's most used keywords: tapping one searches by Chinese text
        (a kiosk has no Chinese input method; the letter keys cover pinyin)."""
        counts = Counter(word for item in self.ui.kiosk.catalog.items for word in item.keywords)
        return [word for word, _n in counts.most_common(limit)]

    def pick(self, word: str) -> None:
        self.query = word
        self.refresh()

    def _chips(self) -> StackLayout:
        theme = self.ui.theme
        chips = StackLayout(size_hint_y=None, spacing=theme.gap * 0.6)
        chips.bind(minimum_height=chips.setter("height"))
        for word in self.hot_words():
            chip = KButton(text=word, size_hint=(None, None), height=theme.target,
                           width=max(theme.target * 1.6, len(word) * theme.body + theme.pad * 2),
                           font_size=theme.body, bg=theme.colour("surface"),
                           fg=theme.colour("on_surface"), border_colour=theme.colour("primary"),
                           radius=theme.target / 2, min_target=theme.target)
            chip.hot_word = word
            chip.bind(on_release=lambda c: self.pick(c.hot_word))
            chips.add_widget(chip)
        return chips

    def refresh(self) -> None:
        box = self.ids.rows
        box.clear_widgets()
        if not self.query and self.ui.lang == "zh_CN":
            box.add_widget(self._chips())
        results = self.ui.kiosk.find(self.query, RESULT_LIMIT) if self.query else []
        self._results = results
        for item in results:
            box.add_widget(item_row(self.ui, item, self.open_item))
        if self.query:
            self.ids.status.text = (self.ui.tr("ui.search.count", count=len(results)) if results
                                    else self.ui.tr("ui.search.none"))
        else:
            self.ids.status.text = self.ui.tr("ui.search.hint")
        if self.query != getattr(self, "_shown_query", None):  # new results: from the top
            self.ids.scroll.scroll_y = 1
            self._shown_query = self.query

    def device_view(self) -> Any:
        return tuple(self.ui.kiosk.check(item) for item in getattr(self, "_results", ()))

    def open_item(self, code: str) -> None:
        self.nav.go("guide", code=code)
