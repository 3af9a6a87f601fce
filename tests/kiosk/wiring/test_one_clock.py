"""One injected clock drives the journey and its submission: the filing date in the
kiosk reference and the 容缺 deadlines counted from it come from the same time, so a
deadline is never before the day the case was filed (the screenshot walk once mixed
its fake clock with the system clock and showed exactly that)."""

from __future__ import annotations

import os
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from kiosk.clock import FakeClock, SteppedClock
from kiosk.wiring.build import build_kiosk
from kiosk.wiring.journey import attach_journey
from tests.kiosk.journey_factory import PNG, identity

ITEM = "330109-HJ-003"  # 户口簿立户: SEPARATION-CONSENT may follow within 10 days
JPEG = b"\xff\xd8\xff\xe0" + b"page" * 100


def overlay(tmp: Path) -> Path:
    secret = tmp / "terminal.key"
    secret.write_text(os.urandom(32).hex())
    secret.chmod(0o600)
    path = tmp / "local.yaml"
    path.write_text(f"""
terminal: {{data_dir: "{tmp}", simulated: true}}
backoffice: {{url: "http://127.0.0.1:9", secret_file: "{secret}", connect_timeout_s: 1,
              read_timeout_s: 1}}
outbox: {{path: "{tmp / 'outbox.sqlite3'}", key_file: "{tmp / 'outbox.key'}"}}
""")
    return path


def filed_and_owed(tmp: Path, clock: Any) -> tuple[date, list[date]]:
    """Run a journey with one 容缺 material to its receipt; (filing date, deadlines)."""
    kiosk = build_kiosk(overlays=(overlay(tmp),), site_name="township", clock=clock,
                        devices={})
    services = attach_journey(kiosk, submit_wait_s=0.0, heartbeat=False)
    assert services is not None
    seen: list[dict[str, Any]] = []
    printing = threading.Event()
    try:
        kiosk.session.touch()
        j = services.starter.start(ITEM)

        def listen(_change: Any) -> None:
            if j.state == "printing" and not seen:
                seen.append(j.view())
                printing.set()
        j.add_listener(listen)
        j.fire("card_read", identity=identity())
        j.fire("face_ok", score=0.8)
        j.fire("material_deferred", code="SEPARATION-CONSENT")
        j.fire("all_ticked")
        j.fire("next")
        j.fire("page_added", data=JPEG, content_type="image/jpeg")
        j.fire("next")
        for name, value in (("phone", "13800138000"), ("new_address", "人民路88号"),
                            ("delivery", "window")):
            j.fire("field_set", name=name, value=value)
        j.fire("next")
        j.fire("signed", png=PNG)
        j.fire("next")
        j.fire("rated", score=5, reasons=["fast"])
        assert printing.wait(30), f"no receipt (state {j.state})"
    finally:
        kiosk.close()
    view = seen[0]
    day = view["kiosk_refs"][0].split("-")[1]
    filed = date(2000 + int(day[:2]), int(day[2:4]), int(day[4:]))
    return filed, [date.fromisoformat(o["deadline"]) for o in view["owed"]]


def test_deadline_never_before_the_filing_date_on_an_injected_clock(tmp_path: Path) -> None:
    # A day far from the system's: a second clock anywhere would show up at once.
    clock = FakeClock(datetime(2026, 1, 10, 2, 0, tzinfo=UTC))
    filed, owed = filed_and_owed(tmp_path, clock)
    assert filed == date(2026, 1, 10)
    assert owed == [date(2026, 1, 20)]


def test_the_walks_clock_jumps_idle_timers_but_keeps_the_day(tmp_path: Path) -> None:
    clock = SteppedClock()
    before = clock.monotonic()
    clock.advance(3600)
    assert clock.monotonic() - before >= 3600
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 5
    filed, owed = filed_and_owed(tmp_path, clock)
    assert all(deadline >= filed for deadline in owed) and owed
