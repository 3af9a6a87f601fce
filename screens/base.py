"""The base of every screen: what it is given and how it re-renders.

A screen gets ``ui`` (the :class:`~screens.state.UiState`, whose ``kiosk`` is the
core) and ``nav`` (the shell, for navigation). Screens hold no business logic:
they call the core and render what it answers. ``refresh`` rebuilds the dynamic
parts (lists) when the screen is shown or the language or theme changes; static
texts are bound in the .kv files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

if TYPE_CHECKING:
    from screens.shell import Shell


class KioskScreen(Screen):  # type: ignore[misc]
    ui = ObjectProperty(None, rebind=True)
    nav: Shell
    #: i18n key of the screen title shown in the shell's title bar.
    title_key = StringProperty("")
    title_text = StringProperty("")

    def __init__(self, *, ui: Any, nav: Shell, **kwargs: Any) -> None:
        self.nav = nav
        super().__init__(ui=ui, **kwargs)
        ui.bind(lang=self._changed, theme=self._changed)

    def _changed(self, *_: Any) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.refresh()

    def show(self, **params: Any) -> None:
        """Called by the shell before the screen appears, with navigation parameters."""

    def refresh(self) -> None:
        """Rebuild dynamic content from the current state."""

    def device_view(self) -> Any:
        """What this screen shows that depends on the devices' states (an item's
        暂停服务 badge, a guide's print button), compared with ``==`` before and after
        a device changes state: the shell rebuilds the screen only when it differs, so
        a printer busy with the last citizen's receipt does not redraw the list under
        the next citizen's finger. None: nothing here depends on the devices."""
        return None

    def title(self) -> str:
        return str(self.ui.tr(self.title_key)) if self.title_key else str(self.title_text)
