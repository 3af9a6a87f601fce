"""What every screen renders from: the kiosk core, the language and the theme.

``UiState`` is a Kivy EventDispatcher so that .kv rules re-evaluate when the
language or elderly mode changes: a rule written as
``text: root.ui.tr("ui.home.title", root.ui.lang)`` binds to ``ui.lang``.
It holds no business logic; ``ui.kiosk`` is the core built by ``kiosk.wiring.build``.
"""

from __future__ import annotations

from typing import Any

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

from kiosk.config.loader import LText
from kiosk.wiring.build import Kiosk
from screens.theme import Theme, make_theme


class UiState(EventDispatcher):  # type: ignore[misc]
    lang = StringProperty("zh_CN")
    elderly = BooleanProperty(False)
    theme = ObjectProperty(None, rebind=True)

    def __init__(self, kiosk: Kiosk, *, resolution: tuple[int, int] | None = None,
                 **kwargs: Any) -> None:
        self.kiosk = kiosk
        site = kiosk.site
        self.resolution = resolution or site.resolution
        super().__init__(**kwargs)
        self.lang = site.default_language
        self.elderly = site.elderly_mode_default
        self.theme = self._make_theme()
        self.bind(elderly=lambda *_: self._retheme())

    def _make_theme(self) -> Theme:
        b = self.kiosk.site.branding
        landscape = self.resolution[0] >= self.resolution[1]
        return make_theme(b.primary, b.accent, b.background,
                          orientation="landscape" if landscape else "portrait",
                          elderly=self.elderly, resolution=self.resolution)

    def _retheme(self) -> None:
        self.theme = self._make_theme()

    def set_resolution(self, resolution: tuple[int, int]) -> None:
        self.resolution = resolution
        self._retheme()

    # -- text -------------------------------------------------------------------
    def tr(self, key: str, *_deps: Any, **kw: Any) -> str:
        """Translate ``key``; extra positional arguments only make .kv rules rebind."""
        return self.kiosk.translator(self.lang).gettext(key, **kw)

    def lt(self, text: LText | None, *_deps: Any) -> str:
        return "" if text is None else text.get(self.lang)

    def toggle_language(self) -> None:
        langs = self.kiosk.languages
        self.lang = langs[(langs.index(self.lang) + 1) % len(langs)] \
            if self.lang in langs else langs[0]

    def reset_preferences(self) -> None:
        site = self.kiosk.site
        self.lang = site.default_language
        self.elderly = site.elderly_mode_default

    def toggle_elderly(self) -> None:
        self.elderly = not self.elderly
