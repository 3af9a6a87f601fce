"""The only way events from device and worker threads reach the screens.

Devices call their listeners from whatever thread noticed a change (a serial
reader thread, the outbox sender); Kivy widgets may only be touched from the UI
thread. ``Bridge.post`` hands a call to the Kivy clock (``Clock.schedule_once``),
which runs it on the UI thread before the next frame (Electrum's Kivy GUI does
the same).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kivy.clock import Clock

from devices.base import Device, DeviceStatus


class Bridge:
    def __init__(self) -> None:
        self._watched: list[tuple[Device, Callable[[Device, DeviceStatus], None]]] = []

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the UI thread, soon. Safe from any thread."""
        Clock.schedule_once(lambda _dt: fn(*args), 0)

    def watch_devices(self, devices: Iterable[Device],
                      on_status: Callable[[Device, DeviceStatus], None]) -> None:
        """Deliver every device status change to ``on_status`` on the UI thread."""
        for device in devices:
            def listener(dev: Device, status: DeviceStatus) -> None:
                self.post(on_status, dev, status)
            device.add_listener(listener)
            self._watched.append((device, listener))

    def close(self) -> None:
        for device, listener in self._watched:
            device.remove_listener(listener)
        self._watched.clear()
