"""The base of every journey step view, and the few widgets they share.

A step view renders one ``journey.view(lang)`` dictionary and fires triggers
through its host (:class:`screens.journey.host.JourneyScreen`); it decides
nothing. ``render`` rebuilds the view's children from the dictionary (cheap:
a journey step has a few dozen widgets), except the live previews, which keep
one Image widget whose texture the host updates.

Every button carries ``action`` (the trigger or UI action it stands for), so
tests and the screenshot walk press buttons by meaning, in any language.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.graphics.texture import Texture
from kivy.properties import ObjectProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from screens.widgets import KButton, Para, load_kv

if TYPE_CHECKING:
    from screens.journey.host import JourneyScreen

load_kv(Path(__file__).with_name("parts.kv"))

#: Button looks by kind: (background, text, border) palette names.
KINDS = {"primary": ("primary", "on_primary", "primary"),
         "secondary": ("surface", "primary", "primary"),
         "danger": ("surface", "danger", "danger"),
         "success": ("success", "on_success", "success"),
         "chosen": ("accent", "on_accent", "accent")}


class StepView(BoxLayout):  # type: ignore[misc]
    """One journey step. Subclasses implement :meth:`fill`."""

    ui = ObjectProperty(None, rebind=True)

    def __init__(self, *, host: JourneyScreen, **kwargs: Any) -> None:
        self.host = host
        super().__init__(ui=host.ui, **kwargs)

    # -- rendering ----------------------------------------------------------------
    def render(self, view: dict[str, Any]) -> None:
        self.clear_widgets()
        t = self.ui.theme
        self.orientation = "vertical"
        self.spacing = t.gap
        message = view.get("message")
        if message:
            self.add_widget(self.para(self.tr(message), "heading", bold=True))
        self.fill(view)
        actions = self.actions(view)
        if actions:
            row = BoxLayout(size_hint_y=None, height=t.target * 1.25, spacing=t.gap)
            row.add_widget(Widget())
            for button in actions:
                row.add_widget(button)
            self.add_widget(row)

    def fill(self, view: dict[str, Any]) -> None:
        raise NotImplementedError

    def actions(self, view: dict[str, Any]) -> list[KButton]:
        """The bottom row (next / retry ...). Back and Home are the shell's bar."""
        return []

    def on_back(self) -> bool:
        """The shell's 返回 inside this step (True: handled here, e.g. a field closed)."""
        return False

    def on_frame(self, image: Any, extra: Any = None) -> None:
        """A live preview frame (face / document camera); views with a preview override."""

    # -- helpers ------------------------------------------------------------------
    @staticmethod
    def adopt(widget: Any) -> Any:
        """A widget kept across renders (a live preview), freed from its old container."""
        if widget.parent is not None:
            widget.parent.remove_widget(widget)
        return widget

    def tr(self, key: str, **kw: Any) -> str:
        return str(self.ui.tr(key, **kw))

    def para(self, text: str, size: str = "body", colour: str = "on_background",
             bold: bool = False, **kw: Any) -> Para:
        return Para(text=text, font_size=self.ui.theme.size(size), bold=bold,
                    color=self.ui.theme.colour(colour), **kw)

    def button(self, text: str, action: str, on_press: Callable[[], Any], *,
               kind: str = "primary", width: float | None = None,
               height: float | None = None, font: str = "button") -> KButton:
        t = self.ui.theme
        bg, fg, border = KINDS[kind]
        b = KButton(text=text, bg=t.colour(bg), fg=t.colour(fg),
                    border_colour=t.colour(border), font_size=t.size(font),
                    radius=t.radius, min_target=t.target, size_hint=(None, None),
                    width=width or max(t.target * 3, t.size(font) * (len(text) * 0.75 + 3)),
                    height=height or t.target * 1.2)
        b.action = action
        b.bind(on_release=lambda _b: on_press())
        return b

    def trigger_button(self, key: str, trigger: str, view: dict[str, Any], *,
                       kind: str = "primary", **data: Any) -> KButton:
        """A button firing ``trigger``; disabled when the view does not offer it."""
        b = self.button(self.tr(key), trigger, lambda: self.host.fire(trigger, **data),
                        kind=kind)
        if trigger in ("next", "back", "retry", "reprint", "home", "cancel"):
            b.disabled = trigger not in view.get("triggers", ())
            b.opacity = 0.45 if b.disabled else 1
        return b

    def scroll(self, cols: int = 1) -> tuple[ScrollView, GridLayout]:
        t = self.ui.theme
        grid = GridLayout(cols=cols, size_hint_y=None, spacing=t.gap, padding=(0, 0, t.gap, 0))
        grid.bind(minimum_height=grid.setter("height"))
        sv = ScrollView(do_scroll_x=False, bar_width=t.gap * 0.6)
        sv.add_widget(grid)
        return sv, grid

    def row(self, height: float | None = None) -> BoxLayout:
        t = self.ui.theme
        return BoxLayout(size_hint_y=None, height=height or t.target * 1.2, spacing=t.gap)


def bgr_texture(image: Any, texture: Texture | None = None) -> Texture:
    """A Kivy texture of a BGR frame (numpy, top row first), reused when the size fits."""
    height, width = image.shape[:2]
    if texture is None or tuple(texture.size) != (width, height):
        texture = Texture.create(size=(width, height), colorfmt="bgr")
        texture.flip_vertical()
    texture.blit_buffer(image.tobytes(), colorfmt="bgr", bufferfmt="ubyte")
    return texture


class Panel(BoxLayout):  # type: ignore[misc]
    """A white rounded card with padding (the .kv draws it)."""
