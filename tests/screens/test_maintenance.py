"""暂停服务 reaches the citizen's screen: a technician's command goes through the real
back office and the kiosk's heartbeat to the core, the core's state to Home (through
the UI thread), in both languages with the reason as typed; nothing can start; leaving
maintenance restores Home."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kivy.uix.label import Label

from kiosk.submission.heartbeat import Heartbeat
from screens.audit import Audit
from screens.walk import MAINTENANCE_REASON
from tests.kiosk.fleet.live import TERMINAL, FleetRig
from tests.screens.helpers import buttons, labels, widgets

pytestmark = pytest.mark.ui


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[FleetRig]:
    with FleetRig.start(tmp_path) as rig:
        yield rig


def beat_while_rendering(harness: Any, beat: Heartbeat) -> None:
    """The heartbeat on its own thread, as in the app; the UI thread keeps drawing (a
    command's change of state is delivered to it through the bridge)."""
    worker = threading.Thread(target=beat.beat_once)
    worker.start()
    deadline = time.monotonic() + 20
    while worker.is_alive():
        assert time.monotonic() < deadline, "the heartbeat did not finish"
        harness.render(1)
        worker.join(0.02)
    harness.render()


def audit(shell: Any, lang: str) -> list[Any]:
    """The layout audit of what Home shows now (screens/audit; the walk does the same in
    every variant: ``screens.walk.walk_states(kiosks, out, MAINTENANCE_STEPS)``)."""
    found: list[Any] = Audit().check(shell, screen="home-maintenance",
                                     variant=f"township-landscape-{lang}-standard",
                                     elderly=False, scale=shell.ui.theme.scale)
    return found


def tiles(shell: Any) -> set[str]:
    return {b.tile_id for b in buttons(shell) if getattr(b, "tile_id", None)}


def texts(shell: Any) -> str:
    return "\n".join(w.text for w in labels(shell))


def test_maintenance_on_and_off_reaches_home(rig: FleetRig, harness: Any,
                                            shot: Callable[[str], Path]) -> None:
    kiosk, fleet, beat = rig.kiosk()
    fleet.start()
    shell = harness.show(kiosk)
    assert "apply" in tiles(shell)
    on = rig.command("enter_maintenance", reason=MAINTENANCE_REASON)
    beat_while_rendering(harness, beat)
    assert kiosk.maintenance.on
    assert shell.sm.current == "home" and tiles(shell) == {"language", "elderly"}
    shown = texts(shell)
    assert "暂停服务" in shown and f"原因：{MAINTENANCE_REASON}" in shown
    shot("zh_CN")
    assert audit(shell, "zh_CN") == []
    shell.ui.lang = "en"
    harness.render()
    shown = texts(shell)
    assert "Service suspended" in shown and f"Reason: {MAINTENANCE_REASON}" in shown
    shot("en")
    assert audit(shell, "en") == []
    item = next(i for i in kiosk.catalog.items if i.channel != "window_only")
    assert not kiosk.check(item).available
    # a touch on the notice starts no journey; the command to leave is not held back
    harness.tap(shell.screen("home")._card)
    assert kiosk.session.active and shell.sm.current == "home"
    rig.command("leave_maintenance")
    beat_while_rendering(harness, beat)
    assert not kiosk.maintenance.on and "apply" in tiles(shell)
    assert kiosk.check(item).available
    listed = rig.staff("GET", f"/staff/terminals/{TERMINAL}/commands").json()["commands"]
    assert {c["id"]: c["status"] for c in listed}[on] == "done"
    assert all(c["status"] == "done" for c in listed)
    # the technician's back-office screen says what the kiosk runs on
    kiosk.session.touch()
    shell.hidden_entry.authenticated = True
    shell.ui.lang = "zh_CN"
    shell.go("tech_backoffice")
    harness.render()
    assert "集中管理：正常" in texts(shell)
    rows = [w.text for w in widgets(shell, Label)]  # further down: reached by scrolling
    assert "事项库版本" in rows and any("后台下发" in r for r in rows)
