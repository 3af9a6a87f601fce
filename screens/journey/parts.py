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

from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.properties import ObjectProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from screens.scrolling import KScroll
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
        #: the last list drawn under each name given to ``scroll(keep=...)``
        self._kept_lists: dict[str, ScrollView] = {}

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
            self.add_widget(ActionRow(actions, floor=t.target * 1.25, spacing=t.gap,
                                      pad=t.gap * 2))

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
               height: float | None = None, font: str = "button",
               wide: bool = False) -> KButton:
        """``wide``: as wide as its column, its text wrapped and the button as tall as
        the text needs (a long label in a list: a fixed width from the text's length
        would widen the whole column past the screen)."""
        t = self.ui.theme
        bg, fg, border = KINDS[kind]
        floor = height or t.target * 1.2
        b = KButton(text=text, bg=t.colour(bg), fg=t.colour(fg),
                    border_colour=t.colour(border), font_size=t.size(font),
                    radius=t.radius, min_target=t.target,
                    size_hint=(1 if wide else None, None),
                    width=width or max(t.target * 3, t.size(font) * (len(text) * 0.75 + 3)),
                    height=floor)
        if wide:
            b.bind(texture_size=lambda w, size: setattr(w, "height",
                                                        max(floor, size[1] + t.gap * 2)))
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

    def scroll(self, cols: int = 1, *, keep: str | None = None
               ) -> tuple[ScrollView, GridLayout]:
        """A vertical list. ``keep``: the list is drawn anew when the citizen changes
        something in it (a material ticked, a field filled), and the new one opens where
        the citizen left the last list of that name, not back at the top."""
        t = self.ui.theme
        grid = GridLayout(cols=cols, size_hint_y=None, spacing=t.gap, padding=(0, 0, t.gap, 0))
        grid.bind(minimum_height=grid.setter("height"))
        sv = KScroll(do_scroll_x=False, bar_width=t.gap * 0.6)
        sv.add_widget(grid)
        if keep is not None:
            before = self._kept_lists.get(keep)
            if before is not None and before.scroll_y < 1:
                hold_position(sv, grid, before.scroll_y)
            self._kept_lists[keep] = sv
        return sv, grid

    def row(self, height: float | None = None) -> BoxLayout:
        t = self.ui.theme
        return BoxLayout(size_hint_y=None, height=height or t.target * 1.2, spacing=t.gap)


def hold_position(sv: ScrollView, content: Widget, scroll_y: float) -> None:
    """Put the new list ``sv`` at ``scroll_y`` as soon as its content is taller than it,
    and again while its layout settles, until its first frame is drawn: meanwhile Kivy's
    ScrollView puts a list whose content is still shorter than the view back at its top.
    After that frame the list is the citizen's (and a scroll from code is not undone)."""
    def apply(*_: Any) -> None:
        if content.height > sv.height:
            sv.scroll_y = scroll_y

    def release(*_: Any) -> None:
        content.unbind(height=apply)
        sv.unbind(height=apply, on_scroll_start=release)
    content.bind(height=apply)
    sv.bind(height=apply, on_scroll_start=release)
    # Two ticks: the second comes after the frame that the first one's tick draws.
    Clock.schedule_once(lambda _dt: Clock.schedule_once(release, 0), 0)


def bgr_texture(image: Any, texture: Texture | None = None) -> Texture:
    """A Kivy texture of a BGR frame (numpy, top row first), reused when the size fits."""
    height, width = image.shape[:2]
    if texture is None or tuple(texture.size) != (width, height):
        texture = Texture.create(size=(width, height), colorfmt="bgr")
        texture.flip_vertical()
    texture.blit_buffer(image.tobytes(), colorfmt="bgr", bufferfmt="ubyte")
    return texture


class ActionRow(BoxLayout):  # type: ignore[misc]
    """A step's bottom row of buttons, right-aligned at their natural widths. When
    they do not fit (long English labels, large text, a portrait screen) they share
    the row, their labels wrap, and the row grows to the tallest label."""

    def __init__(self, buttons: list[KButton], *, floor: float, pad: float,
                 **kwargs: Any) -> None:
        super().__init__(size_hint_y=None, height=floor, **kwargs)
        self._floor, self._pad = floor, pad
        self._buttons = buttons
        self._natural = [float(b.width) for b in buttons]
        self._spacer = Widget()
        self.add_widget(self._spacer)
        for b in buttons:
            self.add_widget(b)
            b.bind(texture_size=self._fit)
        self.bind(width=self._fit)

    def _fit(self, *_: Any) -> None:
        room = self.width - self.spacing * len(self._buttons)
        need = sum(self._natural)
        squeeze = room / need if 0 < room < need else 1.0
        self._spacer.size_hint_x = 1 if squeeze == 1.0 else None
        if squeeze != 1.0:
            self._spacer.width = 0
        for b, natural in zip(self._buttons, self._natural, strict=True):
            b.width = natural * squeeze
        tallest = max(b.texture_size[1] for b in self._buttons) + self._pad
        self.height = max(self._floor, tallest)
        for b in self._buttons:
            b.height = self.height


class Panel(BoxLayout):  # type: ignore[misc]
    """A white rounded card with padding (the .kv draws it)."""
