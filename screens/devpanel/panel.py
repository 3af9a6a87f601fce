"""A collapsible strip under the shell that drives the simulated environment.

Shown only when the app runs on :class:`simenv.environment.SimEnvironment` (the app puts
it in ``kiosk.services.simenv``; it is never imported here). F12, the strip's
handle or a long press in the bottom-right corner opens it: lay a card of a
built-in profile on the reader or take it away, printer paper out / near end /
ok, the cameras' scenes, back office down / up, and the path of the last receipt
the printer emulator rendered. Every call goes to the
environment's control API on a worker thread; its answer or error shows in the strip.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.errors import KioskError
from screens.services.parts import button
from screens.widgets import Text, load_kv

if TYPE_CHECKING:
    from screens.shell import Shell

load_kv(Path(__file__).with_name("panel.kv"))

#: Card profiles of the ID card simulator (devices/idcard/profiles.py) offered here.
CARDS = ("resident", "hmt_permit", "foreigner_2017", "foreigner_2023", "expired", "rare_bmp",
         "rare_extb")
PRINTER = ("paper_out", "paper_near_end", "ok")
SCENES = (("camera", "holder"), ("camera", "other"), ("camera", "none"),
          ("doccam", "document"), ("doccam", "none"))
F12 = 293
#: A touch held this long in the bottom-right corner also opens or closes the panel
#: (touch screens without a keyboard).
LONG_PRESS_S = 1.5


class SimControl(Protocol):
    """The part of SimEnvironment's control API the panel calls."""

    def place_card(self, profile: str = ...) -> Any: ...
    def remove_card(self) -> Any: ...
    def printer_fault(self, name: str) -> Any: ...
    def printer_ok(self) -> Any: ...
    def camera_scene(self, kind: str, name: str) -> Any: ...
    def present_code(self, profile: str = ...) -> str: ...
    def scan_code(self, text: str) -> None: ...
    def backoffice_down(self) -> None: ...
    def backoffice_up(self) -> None: ...
    def receipts(self) -> list[Path]: ...


class DevPanel(BoxLayout):  # type: ignore[misc]
    #: a developer's tool, not the citizen's screen: the layout audit skips it
    audit_ignore = True
    ui = ObjectProperty(None, rebind=True)
    open = BooleanProperty(False)
    result = StringProperty("")

    def __init__(self, *, shell: Shell, sim: SimControl, **kwargs: Any) -> None:
        super().__init__(ui=shell.ui, **kwargs)
        self.shell = shell
        self.sim = sim
        #: the language the rows were made in ("" = not yet): they are made when the
        #: panel first opens (about 30 buttons off the path to the first Home frame)
        self._rows_lang = ""

    def on_open(self, _panel: Any, opened: bool) -> None:
        if opened and self._rows_lang != self.ui.lang:
            self.ids.rows.clear_widgets()
            self._build()
            self._rows_lang = self.ui.lang

    def _build(self) -> None:
        ui = self.ui
        rows = (
            ("ts.dev.card", [(f"ts.dev.card.{c}", lambda c=c: self.sim.place_card(c))
                             for c in CARDS]
             + [("ts.dev.remove_card", self.sim.remove_card)]),
            ("ts.dev.code", [("ts.dev.code.resident", lambda: self._code("resident")),
                             ("ts.dev.code.elderly", lambda: self._code("elderly")),
                             ("ts.dev.code.barcode",
                              lambda: self.sim.scan_code("6901234567892"))]),
            ("ts.dev.printer", [(f"ts.dev.printer.{p}", lambda p=p: self._printer(p))
                                for p in PRINTER]),
            ("ts.dev.camera", [(f"ts.dev.scene.{k}.{n}",
                                lambda k=k, n=n: self.sim.camera_scene(k, n))
                               for k, n in SCENES]),
            ("ts.dev.backoffice", [("ts.dev.backoffice_down", self.sim.backoffice_down),
                                   ("ts.dev.backoffice_up", self.sim.backoffice_up),
                                   ("ts.dev.last_receipt", self._last_receipt)]),
        )
        box = self.ids.rows
        small = ui.theme.px(15)
        for heading, actions in rows:
            # A developer's tool: compact rows (not the citizen's 60 dp targets).
            line = BoxLayout(size_hint_y=None, height=ui.theme.px(44), spacing=ui.theme.px(6))
            line.add_widget(Text(text=ui.tr(heading), bold=True, font_size=small,
                                 color=(0.85, 0.88, 0.93, 1), size_hint_x=None,
                                 width=ui.theme.px(120), halign="left", valign="middle",
                                 text_size=(ui.theme.px(120), None)))
            for key, call in actions:
                b = button(ui, ui.tr(key), partial(self.call, key, call),
                           style="surface", name=key)
                b.font_size = small
                b.min_target = 0
                b.radius = ui.theme.px(6)
                b.size_hint_x = None
                b.width = ui.theme.px(118)
                line.add_widget(b)
            line.add_widget(Widget())
            box.add_widget(line)

    def toggle(self) -> None:
        self.open = not self.open

    # Collapsed, the rows box is 0 px high but its (disabled) buttons keep their
    # geometry over the screen above, and Kivy lets a disabled widget swallow a
    # touch that hits it: only the strip may see touches while the panel is shut.
    def on_touch_down(self, touch: Any) -> bool:
        if self.open:
            return bool(super().on_touch_down(touch))
        return bool(self.ids.strip.on_touch_down(touch))

    def on_touch_move(self, touch: Any) -> bool:
        if self.open:
            return bool(super().on_touch_move(touch))
        return bool(self.ids.strip.on_touch_move(touch))

    def on_touch_up(self, touch: Any) -> bool:
        if self.open:
            return bool(super().on_touch_up(touch))
        return bool(self.ids.strip.on_touch_up(touch))

    def _code(self, profile: str) -> str:
        """亮码: a fresh identity code for the profile's person, shown to the scanner (the
        answer line does not repeat the code)."""
        self.sim.present_code(profile)
        return ""

    def _printer(self, name: str) -> Any:
        return self.sim.printer_ok() if name == "ok" else self.sim.printer_fault(name)

    def _last_receipt(self) -> str:
        receipts = self.sim.receipts()
        return str(receipts[-1]) if receipts else self.ui.tr("ts.dev.no_receipt")

    def call(self, key: str, fn: Callable[[], Any]) -> None:
        label = self.ui.tr(key)
        self.result = self.ui.tr("ts.dev.running", action=label)

        def work() -> None:
            try:
                answer = fn()
            except KioskError as exc:  # SimulationError: shown, the kiosk keeps running
                text = self.ui.tr("ts.dev.failed", action=label, error=str(exc))
            else:
                text = self.ui.tr("ts.dev.done", action=label,
                                  answer=answer if isinstance(answer, str) else "")
            self.shell.bridge.post(self._show, text)
        threading.Thread(target=work, name="devpanel", daemon=True).start()

    def _show(self, text: str) -> None:
        self.result = text

    def on_corner_touch_up(self, _window: Any, touch: Any) -> bool:
        corner = self.ui.theme.px(60)
        # Kivy's own touch timestamps (time_end is set by some input providers only).
        end = touch.time_end if touch.time_end > 0 else time.time()
        held = end - touch.time_start
        if touch.sx * _window.width >= _window.width - corner and \
                touch.sy * _window.height <= corner and held >= LONG_PRESS_S:
            self.toggle()
            return True
        return False

    def detach(self) -> None:
        """Stop listening to the window (the shell is being closed)."""
        from kivy.core.window import Window
        Window.unbind(on_key_down=self.on_key, on_touch_up=self.on_corner_touch_up)

    def on_key(self, _window: Any, key: int, *_: Any) -> bool:
        if key == F12:
            self.toggle()
            return True
        return False


def attach_devpanel(shell: Shell, sim: SimControl) -> DevPanel:
    from kivy.core.window import Window  # imported here: importing it opens the window
    panel = DevPanel(shell=shell, sim=sim)
    shell.add_widget(panel)  # the shell is a vertical box: the strip goes under the nav bar
    Window.bind(on_key_down=panel.on_key, on_touch_up=panel.on_corner_touch_up)
    shell.devpanel = panel
    return panel
