"""READY=1 and WATCHDOG=1 from the Kivy UI loop (screens/supervision.py), received on a
real AF_UNIX datagram socket, and judged as systemd judges the watchdog."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.clock import FakeClock
from kiosk.service.notify import Notifier
from kiosk.wiring.build import build_kiosk
from tests.deploy.notifysocket import NotifySocket, SystemdWatchdog
from tests.fakes import StubDevice

pytestmark = pytest.mark.ui

#: WatchdogSec= of the test (pings every half of it). Frames of the offscreen window take
#: up to a few hundred ms on a loaded machine: pings every 0.5 s leave room for one.
WATCHDOG_S = 1.0


@pytest.fixture
def notify() -> Iterator[NotifySocket]:
    sock = NotifySocket.open()
    yield sock
    sock.close()


def run_loop(harness: Any, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        harness.render(1)
        time.sleep(0.02)


def test_ready_once_home_is_drawn_then_pings_while_the_loop_runs_and_none_when_it_blocks(
        harness: Any, notify: NotifySocket) -> None:
    from kivy.clock import Clock

    from screens.supervision import UiWatchdog
    notifier = Notifier.from_environ({"NOTIFY_SOCKET": str(notify.path),
                                      "WATCHDOG_USEC": str(int(WATCHDOG_S * 1e6))})
    kiosk = build_kiosk(site_name="township", clock=FakeClock(), notifier=notifier,
                        devices={k: StubDevice(k) for k in ("idcard", "printer")})
    shell = harness.show(kiosk)
    shell.go("browse")  # not Home: no READY yet, whatever is drawn
    watchdog = UiWatchdog(kiosk.services.notifier, shell).start()
    try:
        harness.render(2)
        assert notify.wait_for("READY", timeout_s=0.3) is None
        shell.home()
        harness.render(1)
        ready = notify.wait_for("READY", timeout_s=5)
        assert ready is not None and ready.fields["STATUS"] == "Home"
        assert shell.sm.current == "home"

        judge = SystemdWatchdog(notify, WATCHDOG_S)
        run_loop(harness, 1.6 * WATCHDOG_S)
        assert judge.expired_at is None, "the UI loop ran, yet the watchdog ran out"
        assert len(notify.times("WATCHDOG", after=ready.at)) >= 2

        # The UI loop blocks inside a callback (its thread never comes back to the clock)
        # while another thread of the process keeps running: no more pings, and the
        # watchdog runs out as systemd's would.
        unblock = threading.Event()
        busy = threading.Thread(target=lambda: unblock.wait(10), daemon=True)
        busy.start()
        blocked_at = time.monotonic()
        Clock.schedule_once(lambda _dt: unblock.wait(WATCHDOG_S * 1.75), 0)
        harness.render(1)
        assert judge.expired_at is not None and judge.expired_at > blocked_at
        assert busy.is_alive()
        unblock.set()

        # Back in the loop: the pings come back.
        resumed = time.monotonic()
        while not notify.times("WATCHDOG", after=resumed) and \
                time.monotonic() < resumed + 3 * WATCHDOG_S:
            run_loop(harness, 0.1)
        assert notify.times("WATCHDOG", after=resumed)
        judge.stop()
    finally:
        watchdog.stop()
        harness.close_shell()
        kiosk.close()
    assert notify.wait_for("STOPPING", timeout_s=5)
