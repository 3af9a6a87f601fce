"""The kiosk under systemd's watchdog, from the Kivy UI loop itself.

``READY=1`` goes out on the first frame drawn with Home on screen (the frame after it
takes a touch); ``WATCHDOG=1`` is a Kivy clock event, so it runs on the UI thread
between frames. A UI loop that blocks (a callback that never returns, a deadlock on the
UI thread) stops the pings while every other thread keeps running, systemd's
``WatchdogSec=`` runs out, and the service is killed and restarted (deploy/systemd/
kiosk-app.service). The notifier comes from the composition root
(``kiosk.services.notifier``, kiosk/service/notify.py); without one this does nothing.
"""

from __future__ import annotations

from typing import Any, Protocol

from kivy.clock import Clock
from kivy.core.window import Window


class Notifier(Protocol):
    """What this needs of ``kiosk.service.notify.Notifier``."""

    @property
    def ping_interval_s(self) -> float | None: ...
    def ready(self, status: str = "") -> bool: ...
    def ping(self) -> bool: ...
    def stopping(self) -> bool: ...


class UiWatchdog:
    def __init__(self, notifier: Notifier, shell: Any) -> None:
        self.notifier = notifier
        self.shell = shell
        self._pinger: Any = None
        self._watching = False

    def start(self) -> UiWatchdog:
        if not self._watching:
            Window.bind(on_flip=self._on_frame)
            self._watching = True
        return self

    def _on_frame(self, *_: Any) -> None:
        if self.shell.sm.current != "home":
            return
        Window.unbind(on_flip=self._on_frame)
        self._watching = False
        self.notifier.ready("Home")
        interval = self.notifier.ping_interval_s
        if interval is not None and self._pinger is None:
            self.notifier.ping()
            self._pinger = Clock.schedule_interval(lambda _dt: self.notifier.ping(), interval)

    def stop(self) -> None:
        if self._watching:
            Window.unbind(on_flip=self._on_frame)
            self._watching = False
        if self._pinger is not None:
            self._pinger.cancel()
            self._pinger = None
        self.notifier.stopping()
