"""Heartbeat: device health and outbox counts to the real back office; failures counted."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

import requests

from devices.base import Device, DeviceState, DeviceStatus, MediaStatus
from kiosk.clock import FakeClock, SystemClock
from kiosk.errors import BackofficeUnreachable
from kiosk.submission.client import BackofficeClient
from kiosk.submission.crypto import Sealer
from kiosk.submission.heartbeat import Heartbeat, device_health
from kiosk.submission.outbox import Outbox
from tests.kiosk.case_factory import make_case
from tests.kiosk.crash.live_backoffice import STAFF_TOKEN, LiveBackoffice


class Printer(Device):
    kind = "printer"

    def __init__(self) -> None:
        super().__init__("printer0")
        # The detail may name a port or a file: it must never leave the kiosk.
        self._set_status(DeviceStatus(DeviceState.READY, MediaStatus.LOW,
                                      "device.reason.paper_low", "tcp 127.0.0.1:9100"))


def devices() -> dict[str, Device]:
    return {"printer": Printer(), "camera": Device("camera0")}


def test_payload_has_state_media_reason_only() -> None:
    health = device_health(devices())
    assert health == {
        "printer": {"state": "ready", "media": "low", "reason": "device.reason.paper_low"},
        "camera": {"state": "unavailable", "media": "n/a", "reason": "device.reason.not_opened"}}


class FlakyClient:
    def __init__(self, clock: FakeClock, fail: int) -> None:
        self.clock, self.fail = clock, fail
        self.beats: list[tuple[Mapping[str, object], object]] = []

    def heartbeat(self, devices: Mapping[str, Mapping[str, str | None]],
                  outbox: Mapping[str, int] | None = None) -> datetime:
        if self.fail:
            self.fail -= 1
            raise BackofficeUnreachable("connection refused")
        self.beats.append((devices, outbox))
        return self.clock.now() + timedelta(seconds=2)


def test_thread_beats_on_the_injected_clock_and_counts_failures() -> None:
    clock = FakeClock()
    client = FlakyClient(clock, fail=2)
    hb = Heartbeat(client, devices(), clock=clock, interval_s=60, poll_s=0.005)
    hb.start()
    try:
        assert hb.wait_for_beats(1, 10)
        assert hb.counters.failed == 1 and hb.counters.sent == 0
        for n in (2, 3):
            clock.advance(60)
            assert hb.wait_for_beats(n, 10)
        assert hb.counters.as_dict()["failed"] == 2 and hb.counters.sent == 1
        assert hb.counters.consecutive_failures == 0 and hb.counters.last_skew_s == 2.0
        assert "BackofficeUnreachable" in hb.counters.last_error
    finally:
        hb.stop()
    assert len(client.beats) == 1


def test_heartbeat_reaches_the_real_back_office(tmp_path: Path,
                                                live_backoffice: LiveBackoffice) -> None:
    live = live_backoffice
    clock = SystemClock()
    client = BackofficeClient(live.url, live.terminal_id, live.secret, clock=clock,
                              connect_timeout_s=1, read_timeout_s=5)
    outbox = Outbox(tmp_path / "o.sqlite3", Sealer(os.urandom(32)), ref_prefix="XD",
                    clock=clock)
    try:
        outbox.enqueue(make_case("hb"))
        hb = Heartbeat(client, devices(), clock=clock, outbox=outbox)
        assert hb.beat_once()
        resp = requests.get(live.url + "/staff/terminals", timeout=10,
                            headers={"Authorization": f"Bearer {STAFF_TOKEN}"})
        text = resp.text
        assert "device.reason.paper_low" in text and "9100" not in text
        assert abs(hb.counters.last_skew_s or 0) < 5
        live.stop()
        assert not hb.beat_once()
        assert hb.counters.failed == 1 and hb.counters.sent == 1
    finally:
        outbox.close()
        client.close()
