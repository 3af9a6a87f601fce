"""The Kivy App for the interactive kiosk (one per process)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window

from kiosk.fleet.control import RESTART_EXIT_CODE
from kiosk.wiring.build import Kiosk
from screens.idlegc import IdleCollector
from screens.shell import Shell
from screens.state import UiState
from screens.supervision import UiWatchdog


class KioskApp(App):  # type: ignore[misc]
    title = "政务自助服务"

    def __init__(self, kiosk: Kiosk, resolution: tuple[int, int],
                 on_ready: Callable[[float, float], None] | None = None,
                 after_home: Callable[[], None] | None = None) -> None:
        """``after_home``: called once Home is on screen (the simulators and devices
        start then, off the path to an interactive Home)."""
        super().__init__()
        self.kiosk = kiosk
        self.resolution = resolution
        self.shell: Shell | None = None
        #: What the process exits with: RESTART_EXIT_CODE when the back office asked
        #: for a restart (the service manager, or scripts/run, starts it again).
        self.exit_code = 0
        kiosk.on_restart = self.restart
        self._on_ready = on_ready
        self._after_home = after_home
        self._watchdog: UiWatchdog | None = None

    def build(self) -> Shell:
        ui = UiState(self.kiosk, resolution=self.resolution)
        self.shell = Shell(ui=ui, collector=IdleCollector())
        # A real screen may differ from the profile's resolution (fullscreen on another
        # panel, a resized window): sizes follow the window, orientation included.
        Window.bind(size=lambda _w, size: ui.set_resolution((int(size[0]), int(size[1]))))
        if self._on_ready is not None:
            Window.bind(on_flip=self._first_frame)
        notifier = self.kiosk.services.notifier
        if notifier is not None:  # under systemd: READY=1 with Home, WATCHDOG=1 from this loop
            self._watchdog = UiWatchdog(notifier, self.shell).start()
        return self.shell

    def on_start(self) -> None:
        Window.bind(on_flip=self._warm_up)

    def _warm_up(self, *_: Any) -> None:
        # Once Home is on screen, build the search index while the citizen reads it
        # (not before: it would compete with the first frame for the CPU).
        Window.unbind(on_flip=self._warm_up)
        after_home = self._after_home
        if after_home is not None:
            Clock.schedule_once(lambda _dt: after_home(), 0.2)
        Clock.schedule_once(lambda _dt: self.kiosk.warm_up(), 1.0)
        Clock.schedule_once(lambda _dt: self._warm_input(), 1.5)

    @staticmethod
    def _warm_input() -> None:
        """The form's pinyin table, built on a worker thread (the form's module, with its
        kv rules, is imported here on the UI thread, while Home waits)."""
        from screens.journey.form import FormView
        threading.Thread(target=FormView.table.warm, name="pinyin-warm-up",
                         daemon=True).start()

    def _first_frame(self, *_: Any) -> None:
        """The first frame with Home drawn: note the time, prove a touch is taken, report."""
        Window.unbind(on_flip=self._first_frame)
        drawn = time.monotonic()
        cpu = time.process_time()  # the start-up's CPU, not the touch check's imports
        assert self.shell is not None and self.shell.sm.current == "home"

        def touch(_dt: float) -> None:
            from kivy.tests.common import UnitTestTouch
            assert self.shell is not None
            tile = next(w for w in self.shell.walk() if getattr(w, "tile_id", "") == "apply")
            t = UnitTestTouch(*tile.to_window(*tile.center))
            t.touch_down()
            t.touch_up()
            if self._on_ready is not None and self.kiosk.session.active:
                self._on_ready(drawn, cpu)
            self.stop()
        Clock.schedule_once(touch, 0)

    def restart(self) -> None:
        """``restart_app`` from the back office (between sessions): stop with the exit
        code that asks the service manager to start the kiosk again."""
        self.exit_code = RESTART_EXIT_CODE
        self.stop()

    def on_stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.stop()
        if self.shell is not None:
            self.shell.close()
