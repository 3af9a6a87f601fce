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


class Same:
    """A part of a content key compared by identity: the catalog a list was built from
    is the same object or not (a field-by-field comparison would walk every item)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)


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

    def content_key(self) -> Any:
        """What ``refresh`` builds from besides the language, the theme and the devices
        (``device_view``). Shown again with the same key, the screen keeps what it built
        (Home, a department's list, an item's guide are the same for every citizen of
        the day) and only :meth:`revisit` runs. None: rebuilt at every visit."""
        return None

    def revisit(self) -> None:
        """Shown again without a rebuild: put it as a new visit finds it (lists at the
        top)."""

    def device_view(self) -> Any:
        """What this screen shows that depends on the devices' states (an item's
        暂停服务 badge, a guide's print button), compared with ``==`` before and after
        a device changes state: the shell rebuilds the screen only when it differs, so
        a printer busy with the last citizen's receipt does not redraw the list under
        the next citizen's finger. None: nothing here depends on the devices."""
        return None

    def title(self) -> str:
        return str(self.ui.tr(self.title_key)) if self.title_key else str(self.title_text)
