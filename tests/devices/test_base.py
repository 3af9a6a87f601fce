"""The one lifecycle of polling devices: a thread per device, stopped and joined on close."""

from __future__ import annotations

import threading

from devices.base import DeviceState, DeviceStatus, PollingDevice
from kiosk.clock import FakeClock
from kiosk.errors import DeviceUnavailable


class Flaky(PollingDevice):
    """Fails to open until told otherwise; counts polls and releases."""

    kind = "flaky"

    def __init__(self, clock: FakeClock) -> None:
        super().__init__("one", clock=clock, poll_interval_s=0.01, reopen_interval_s=0.5)
        self.works = False
        self.polled = threading.Event()
        self.released = 0

    def poll_once(self) -> None:
        with self._poll_lock:
            self.polled.set()
            if self.status.ready or not self._reopen_due():
                return
            if not self.works:
                self._schedule_reopen()
                self._set_unavailable("device.reason.flaky", DeviceUnavailable("no answer"))
                return
            self._set_status(DeviceStatus(DeviceState.READY))

    def _closed(self) -> None:
        self.released += 1


def threads(name: str) -> int:
    return [t.name for t in threading.enumerate()].count(name)


def test_open_twice_runs_one_thread_and_close_joins_it() -> None:
    device = Flaky(FakeClock())
    device.open()
    device.open()
    assert device.polled.wait(5.0)
    assert threads("flaky-one") == 1
    device.close()
    assert threads("flaky-one") == 0
    assert device.released == 1
    assert device.status.reason == "device.reason.not_opened"


def test_unavailable_with_a_reason_then_retried_only_when_due() -> None:
    clock = FakeClock()
    device = Flaky(clock)
    device.poll_once()
    assert device.status.state is DeviceState.UNAVAILABLE
    assert device.status.reason == "device.reason.flaky" and device.status.detail == "no answer"
    assert device.counters.failures == 1
    device.works = True
    device.poll_once()                      # not due yet: still unavailable
    assert device.status.state is DeviceState.UNAVAILABLE
    clock.advance(0.5)
    device.poll_once()
    assert device.status.ready
