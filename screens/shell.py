"""The shell: header, idle banner, the screens and the Home/Back bar.

Every touch anywhere counts as activity for the session (it starts one when the
kiosk is idle). The session's idle countdown is shown as a banner inside the
page with a "继续办理 / extend" button, never as a pop-up (no pop-ups in elderly
mode). When the session ends, for whatever reason, the shell returns home; the
session manager has already wiped the citizen's data.
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.session import EndReason, SessionEvent, SessionManager
from screens.base import KioskScreen
from screens.bridge import Bridge
from screens.idlegc import IdleCollector
from screens.state import UiState
from screens.technician.entry import TECHNICIAN_SCREENS, HiddenEntry
from screens.widgets import load_kv

load_kv(Path(__file__).with_name("widgets.kv"))
load_kv(Path(__file__).with_suffix(".kv"))

#: The screens of the shell, by name: "module:Class", imported (with its .kv) on first
#: use so that start-up only pays for Home. The journey engineer replaces "journey".
SCREEN_CLASSES: dict[str, str] = {
    "home": "screens.home:HomeScreen",
    "browse": "screens.browse:BrowseScreen",
    "items": "screens.items:ItemsScreen",
    "search": "screens.search:SearchScreen",
    "guide": "screens.guide:GuideScreen",
    "journey": "screens.journey:JourneyScreen",
    "progress": "screens.services.progress:ProgressScreen",
    "queue": "screens.services.queue:QueueScreen",
    "certificate": "screens.services.certificate:CertificateScreen",
    **TECHNICIAN_SCREENS,
}

#: Built screens kept aside per name, beside the one in use: the lists and guides of the
#: last few departments and items citizens opened (a township's day is a handful of
#: popular items). Going back to one costs a frame, not a rebuild (30-60 ms of the UI
#: thread on a slow terminal); at most this many more of each screen are kept.
SPARE_SCREENS = 3


def screen_class(spec: str) -> type[KioskScreen]:
    """The screen class named by ``"module:Class"`` (imported with its .kv on first use)."""
    module, _, cls = spec.partition(":")
    found: type[KioskScreen] = getattr(importlib.import_module(module), cls)
    return found


class Screens(ScreenManager):  # type: ignore[misc]
    """The shell's screen manager, without the stencil Kivy's own rule draws around one
    (to clip sliding transitions; the shell switches screens without a transition). On a
    software renderer the stencil's two full-size passes cost more than drawing a screen."""


class Shell(BoxLayout):  # type: ignore[misc]
    ui = ObjectProperty(None, rebind=True)
    banner_visible = BooleanProperty(False)
    countdown = NumericProperty(0)
    title = StringProperty("")
    at_home = BooleanProperty(True)
    #: False while the current screen has nothing to go back to (an accepted case).
    back_offered = BooleanProperty(True)
    #: 呼叫工作人员 in the bar, in place of the help line (journey screens)
    call_offered = BooleanProperty(False)

    def __init__(self, *, ui: UiState, bridge: Bridge | None = None,
                 tick_interval: float = 0.5, screen_classes: dict[str, str] | None = None,
                 collector: IdleCollector | None = None, **kwargs: Any) -> None:
        """``collector``: runs Python's full garbage collection between citizens
        (screens.idlegc); None leaves the collector as Python runs it (tests)."""
        super().__init__(ui=ui, **kwargs)
        self.collector = collector
        if collector is not None:
            collector.install()
            collector.due()  # what start-up built is frozen at the first quiet moment
        self._last_touch = ui.kiosk.clock.monotonic()
        #: name -> "module:Class"; later parts add or replace screens here (e.g. the journey)
        self.screen_classes = {**SCREEN_CLASSES, **(screen_classes or {})}
        self.kiosk = ui.kiosk
        self.session: SessionManager = ui.kiosk.session
        self.bridge = bridge or Bridge()
        self.sm: ScreenManager = self.ids.screens
        self.sm.transition = NoTransition()
        self.paint_window()
        ui.bind(theme=lambda *_: self.paint_window())
        self._history: list[tuple[str, dict[str, Any]]] = []
        #: While a finished session's last screen stays up (the receipt's QR code):
        #: the monotonic time at which Home comes back.
        self._hold_until: float | None = None
        self._screens: dict[str, KioskScreen] = {}
        self.session.add_listener(self._on_session)
        #: per screen, what it showed of the devices' states when last rebuilt
        self._device_views: dict[str, Any] = {}
        #: per screen, what its content was last built from (see KioskScreen.content_key)
        self._built: dict[str, Any] = {}
        #: per screen name, other built instances as (what each was built from, screen),
        #: the most recently shown first (SPARE_SCREENS)
        self._spare: dict[str, list[tuple[Any, KioskScreen]]] = {}
        self.bridge.watch_devices(self.kiosk.devices.values(), self._on_device)
        # Fleet control (kiosk/fleet/) changes the kiosk on the UI thread, through the
        # bridge: a new catalog or site settings between sessions, 暂停服务 on or off.
        self._deliver_before = self.kiosk.ui_deliver
        self.kiosk.ui_deliver = self.bridge.post
        self.kiosk.add_listener(self._on_kiosk)
        self._ticker = Clock.schedule_interval(lambda _dt: self.tick(), tick_interval)
        ui.bind(lang=lambda *_: self._retitle())
        #: The technician's corner gesture (then the PIN pad); nothing on screen shows it.
        self.hidden_entry = HiddenEntry(self)
        self.go("home")
        if self.kiosk.services.simenv is not None:  # scripts/run on the simulators only
            from screens.devpanel.panel import attach_devpanel
            attach_devpanel(self, self.kiosk.services.simenv)

    def paint_window(self) -> None:
        """The window's clear colour is the theme's background: the shell covers the
        window, and clearing to the colour is free where a background rectangle would
        be one more full-screen fill every frame."""
        from kivy.core.window import Window
        Window.clearcolor = tuple(self.ui.theme.colour("background"))

    # -- screens ---------------------------------------------------------------
    def screen(self, name: str) -> KioskScreen:
        if name not in self._screens:
            self._screens[name] = self._new_screen(name)
            self.sm.add_widget(self._screens[name])
        return self._screens[name]

    def _new_screen(self, name: str) -> KioskScreen:
        return screen_class(self.screen_classes[name])(name=name, ui=self.ui, nav=self)

    @property
    def current(self) -> KioskScreen:
        return self.screen(self.sm.current)

    def go(self, name: str, **params: Any) -> None:
        self._history.append((name, params))
        self._show(name, params)

    def back(self) -> None:
        on_back = getattr(self.current, "on_back", None)
        if on_back is not None and on_back():  # the screen went back inside its journey
            return
        if len(self._history) > 1:
            self._history.pop()
            name, params = self._history[-1]
            self._show(name, params)
        else:
            self.home()

    def home(self) -> None:
        """The Home button: ends the session (its data is wiped) and shows Home. A screen
        may take it over (the journey asks first once the citizen handed something over)."""
        on_home = getattr(self.current, "on_home", None)
        if on_home is not None and on_home():
            return
        if self.session.active:
            self.session.end(EndReason.CANCEL)  # the ENDED listener resets to home
        else:
            self._reset()

    def _reset(self) -> None:
        if self._hold_until is not None:
            self._hold_until = None
            self.ui.reset_preferences()
        self._history = [("home", {})]
        self._show("home", {})

    def _show(self, name: str, params: dict[str, Any]) -> None:
        scr = self.screen(name)
        scr.show(**params)
        shown = scr.device_view()
        key = scr.content_key()
        built = None if key is None else (self.ui.lang, self.ui.theme, key, shown)
        if built is not None and built != self._built.get(name):
            scr = self._instance_for(name, built, params)
        if built is not None and built == self._built.get(name):
            scr.revisit()  # the same content as last time: kept, not rebuilt
        else:
            scr.refresh()
        self._built[name] = built
        self._device_views[name] = shown
        self.sm.current = name
        self.at_home = name == "home"
        self.back_offered = True
        self.call_offered = bool(getattr(scr, "offers_call", False))
        self._retitle()

    def _instance_for(self, name: str, built: Any, params: dict[str, Any]) -> KioskScreen:
        """The instance of screen ``name`` to show content ``built`` in: a spare built
        for exactly that (``_built`` then says so: it is revisited), else a fresh one (or
        the least recently shown spare, when SPARE_SCREENS are kept) to build, while the
        one in use is kept aside with what it shows. A screen that shows nothing worth
        keeping is rebuilt where it is."""
        current = self._screens[name]
        spares = self._spare.setdefault(name, [])
        found = next((scr for was, scr in spares if was == built), None)
        kept = self._built.get(name)
        if found is None and kept is None:
            return current
        if kept is not None:
            spares.insert(0, (kept, current))
        if found is not None:
            spares[:] = [(was, scr) for was, scr in spares if scr is not found]
            chosen, self._built[name] = found, built
        else:
            chosen = spares.pop()[1] if len(spares) > SPARE_SCREENS else self._new_screen(name)
            self._built[name] = None
        if current.manager is not None:
            self.sm.remove_widget(current)
        self._screens[name] = chosen
        self.sm.add_widget(chosen)
        chosen.show(**params)
        return chosen

    def call_staff(self) -> None:
        """呼叫工作人员: the current screen raises the request (a journey step)."""
        handler = getattr(self.current, "call_staff", None)
        if callable(handler):
            handler()

    def _retitle(self) -> None:
        self.title = self.current.title()

    # -- session -----------------------------------------------------------------
    def on_touch_down(self, touch: Any) -> bool:
        # Any touch is activity: it starts a session or holds off the idle timeout.
        self.session.touch()
        self._last_touch = self.kiosk.clock.monotonic()
        if self.hidden_entry.touch(touch):
            return True
        return bool(super().on_touch_down(touch))

    def tick(self) -> None:
        if self._hold_until is not None and self.kiosk.clock.monotonic() >= self._hold_until:
            self._end_hold()
        self.session.tick()
        self.countdown = math.ceil(self.session.remaining()) if self.banner_visible else 0
        if self.collector is not None:
            self.collector.tick(self.kiosk.clock.monotonic() - self._last_touch)

    def extend(self) -> None:
        self.session.extend()

    def _on_session(self, _session: SessionManager, event: SessionEvent) -> None:
        if event is SessionEvent.WARNING:
            self.countdown = math.ceil(self.session.remaining())
            self.banner_visible = True
        elif event is SessionEvent.EXTENDED:
            self.banner_visible = False
        elif event is SessionEvent.ENDED:
            self.banner_visible = False
            if self.collector is not None:
                self.collector.due()  # the citizen's objects are garbage now
            farewell = getattr(self.current, "farewell", None)
            hold = farewell() if farewell is not None and \
                self.session.last_end_reason is EndReason.DONE else 0.0
            if hold > 0:
                # The done screen stays a moment (its QR code, 完成 / 首页), then Home.
                self._hold_until = self.kiosk.clock.monotonic() + hold
                return
            # The next citizen starts from the site's defaults, not the last one's choices.
            self.ui.reset_preferences()
            self._reset()

    def _end_hold(self) -> None:
        if self.session.active:  # a touch on the done screen started one: end it too
            self.session.end(EndReason.CANCEL)
        self._reset()

    def _on_kiosk(self, what: str) -> None:
        """The core changed what Home and the lists are built from (UI thread)."""
        if what == "catalog":
            self.ui.set_resolution(self.ui.resolution)  # the branding may have changed
            self._built.clear()
            self._spare.clear()
        else:
            self._built.pop("home", None)
            self._spare.pop("home", None)
        if not self.session.active and self._hold_until is None:
            self._reset()
        elif self.sm.current == "home":
            self._show("home", {})

    def _on_device(self, _device: Any, _status: Any) -> None:
        # A device changed state: the current screen may show 暂停服务 now (or not).
        scr = self.current
        shown = scr.device_view()
        if shown != self._device_views.get(scr.name):
            scr.refresh()
            self._device_views[scr.name] = shown
            self._built.pop(scr.name, None)

    def close(self) -> None:
        panel = getattr(self, "devpanel", None)
        if panel is not None:  # the simulator panel listens to the window (F12)
            panel.detach()
        self._ticker.cancel()
        if self.collector is not None:
            self.collector.release()
        self.session.remove_listener(self._on_session)
        self.kiosk.remove_listener(self._on_kiosk)
        if self.kiosk.ui_deliver == self.bridge.post:
            self.kiosk.ui_deliver = self._deliver_before
        self.bridge.close()
