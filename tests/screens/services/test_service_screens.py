"""The citizen services on the simulated terminal (simenv.environment): the real ID card
reader on the SAM simulator's pty, the real printer driver against the ESC/POS
emulator, the real signed client against the reference back office. Real touches
in the offscreen window; the receipts are the PNGs the emulator renders."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devices.idcard.profiles import builtin_profiles
from kiosk.clock import SystemClock
from kiosk.session import EndReason
from kiosk.submission.client import BackofficeClient
from kiosk.submission.outbox import Outbox
from kiosk.submission.outbox_schema import CaseState
from kiosk.submission.retry import RetryPolicy
from kiosk.submission.sender import Sender
from kiosk.wiring.build import Kiosk, build_kiosk
from kiosk.wiring.devices import DeviceSet
from simenv.environment import SimEnvironment
from tests.kiosk.case_factory import make_case
from tests.screens.helpers import buttons, labels, one
from tests.waiting import render_until

pytestmark = [pytest.mark.ui, pytest.mark.slow]

Shot = Callable[[str], Path]


@pytest.fixture(scope="module")
def delivered(env: SimEnvironment) -> tuple[str, str]:
    """A case of the resident card's holder, delivered through the real outbox and sender:
    its kiosk reference (what the receipt's QR carries) and its case number."""
    config = env.config()
    clock = SystemClock()
    outbox = Outbox.from_config(config, clock=clock)
    client = BackofficeClient.from_config(config, clock=clock)
    sender = Sender(outbox, client, RetryPolicy(base_s=0.05, cap_s=0.5, multiplier=2,
                                                jitter=0.5),
                    clock=clock, rng=random.Random(3), idle_s=0.2)
    case = make_case("ui-query", terminal_id=config.terminal.id)
    holder = builtin_profiles()["resident"].fields["id_number"]
    case = dataclasses.replace(case, applicant=dataclasses.replace(case.applicant,
                                                                   id_number=holder))
    try:
        sender.start()
        ref = outbox.enqueue(case)
        record = sender.submit_and_wait(ref, timeout_s=60)
        assert record is not None and record.state is CaseState.DELIVERED, record
        assert record.case_number is not None
        return ref, record.case_number
    finally:
        sender.stop()
        outbox.close()
        client.close()


@pytest.fixture(scope="module")
def submitted(delivered: tuple[str, str]) -> str:
    """The case number of the delivered case."""
    return delivered[1]


@pytest.fixture
def kiosk(env: SimEnvironment, sim_devices: DeviceSet, request: pytest.FixtureRequest
          ) -> Iterator[Kiosk]:
    """The kiosk on the environment's devices; ``indirect`` parametrization names
    another site."""
    clock = SystemClock()
    built = build_kiosk(overlays=(env.overlay,), clock=clock, devices=dict(sim_devices),
                        site_name=getattr(request, "param", None))
    client = BackofficeClient.from_config(env.config(), clock=clock)
    built.services.lookup = client
    try:
        yield built
    finally:
        built.session.end(EndReason.CANCEL)
        client.close()


def tile(shell: Any, tile_id: str) -> Any:
    return one([b for b in buttons(shell) if getattr(b, "tile_id", None) == tile_id])


def texts(shell: Any) -> str:
    return " ".join(label.text for label in labels(shell))


def open_service(harness: Any, kiosk: Kiosk, tile_id: str, lang: str | None = None
                 ) -> tuple[Any, Any]:
    """Home (in ``lang`` when given), then a touch on the service's tile: the shell and
    the service's screen."""
    shell = harness.show(kiosk)
    if lang is not None:
        shell.ui.lang = lang
        harness.render()
    harness.press(tile(shell, tile_id))
    return shell, shell.current


@pytest.mark.parametrize(("kiosk", "lang"), [(None, "zh_CN"), ("bank-branch", "en")],
                         indirect=["kiosk"], ids=["landscape-zh", "portrait-en"])
def test_progress_query_by_card_shows_the_timeline(harness: Any, env: SimEnvironment,
                                                   submitted: str, kiosk: Kiosk, lang: str,
                                                   shot: Shot) -> None:
    tr = kiosk.translator(lang).gettext
    shell, screen = open_service(harness, kiosk, "progress", lang)
    assert shell.sm.current == "progress" and screen.state == "start"
    shot("1-swipe")
    env.place_card("resident")
    assert render_until(harness, lambda: screen.state in ("timeline", "results", "error")), \
        screen.state
    if screen.state == "results":  # earlier runs' cases of the same holder
        row = one([b for b in buttons(shell) if getattr(b, "case_index", None) is not None
                   and submitted in b.text])
        harness.press(row)
    assert screen.state == "timeline", screen.notice
    render_until(harness, lambda: "结婚证" in texts(shell), 5.0)  # laid out over a few frames
    shot("2-timeline")
    shown = texts(shell)
    assert submitted in shown and tr("ts.svc.timeline") in shown
    assert "结婚证" in shown  # the 容缺 material still owed (its name as the case holds it)
    before = len(env.receipts())
    harness.press(one([b for b in buttons(shell) if getattr(b, "action", "") == "print_slip"]))
    assert render_until(harness, lambda: len(env.receipts()) > before
                    and screen.slip == tr("ts.svc.slip_printed"))
    shot("3-slip-printed")
    harness.press(shell.ids.home)
    assert shell.sm.current == "home" and kiosk.services.service_desk().current is None
    holder = builtin_profiles()["resident"].fields
    every_text = [getattr(w, "text", "") for scr in shell.sm.screens for w in scr.walk()]
    assert not [t for t in every_text if holder["id_number"] in t or holder["name"] in t]
    assert screen.journey is None  # wiped with the session


@pytest.mark.parametrize(("kiosk", "lang"), [(None, "zh_CN"), ("bank-branch", "en")],
                         indirect=["kiosk"], ids=["landscape-zh", "portrait-en"])
def test_queue_ticket_prints(harness: Any, env: SimEnvironment, kiosk: Kiosk, lang: str,
                             shot: Shot) -> None:
    shell, screen = open_service(harness, kiosk, "queue", lang)
    assert shell.sm.current == "queue" and screen.state == "choose"
    shot("1-choose")
    before = len(env.receipts())
    first = kiosk.services.service_desk().categories()[0].id  # the site's first window
    harness.press(one([b for b in buttons(shell) if getattr(b, "category_id", "") == first]))
    assert render_until(harness, lambda: screen.state in ("done", "on_screen", "error"))
    assert screen.state == "done", screen.notice
    number = screen.view["ticket"]["number"]
    assert number.startswith("A") and number in texts(shell)
    assert render_until(harness, lambda: len(env.receipts()) > before)
    assert env.receipts()[-1].stat().st_size > 0
    shot("2-ticket")


def test_queue_ticket_on_screen_when_paper_is_out(harness: Any, env: SimEnvironment,
                                                  kiosk: Kiosk, shot: Shot) -> None:
    env.printer_fault("paper_out")
    shell, screen = open_service(harness, kiosk, "queue")
    harness.press(one([b for b in buttons(shell) if getattr(b, "category_id", None)]))
    assert render_until(harness, lambda: screen.state in ("done", "on_screen", "error"))
    assert screen.state == "on_screen" and screen.notice
    assert screen.view["ticket"]["number"] in texts(shell)
    shot("paper-out")
    env.printer_ok()


def test_certificate_printing_lists_only_results_ready_here(harness: Any, env: SimEnvironment,
                                                             submitted: str, kiosk: Kiosk,
                                                             shot: Shot) -> None:
    # The sample case is still being handled: nothing waits to be printed at a kiosk.
    shell, screen = open_service(harness, kiosk, "print")
    assert shell.sm.current == "certificate" and screen.state == "identity"
    env.place_card("resident")
    assert render_until(harness, lambda: screen.state in ("none_ready", "list", "error"))
    assert screen.state == "none_ready", screen.notice
    assert "暂无" in screen.message or screen.message
    shot("none-ready")
    harness.press(one([b for b in buttons(shell) if getattr(b, "action", "") == "to_progress"]))
    assert shell.sm.current == "progress"


def test_developer_panel_drives_the_simulators(harness: Any, env: SimEnvironment,
                                               kiosk: Kiosk, shot: Shot) -> None:
    from kivy.core.window import Window
    kiosk.services.simenv = env
    shell = harness.show(kiosk)
    panel = shell.devpanel
    assert not panel.open
    Window.dispatch("on_key_down", 293, 0, "", [])  # F12
    harness.render()
    assert panel.open
    printer = kiosk.devices["printer"]

    def press(action: str) -> None:
        harness.press(one([b for b in buttons(shell) if getattr(b, "action", "") == action]))

    press("ts.dev.printer.paper_out")
    assert render_until(harness, lambda: "完成" in panel.result)
    printer.refresh_status()  # what the kiosk's status poll does (DLE EOT to the emulator)
    assert printer.status.media.value == "empty", printer.status
    shot("paper-out")
    press("ts.dev.printer.ok")
    assert render_until(harness, lambda: "完成" in panel.result and "正常" in panel.result)
    printer.refresh_status()
    assert printer.status.media.value != "empty"
    press("ts.dev.last_receipt")
    assert render_until(harness, lambda: ".png" in panel.result or "尚无回执" in panel.result)
    harness.press(panel.ids.handle)
    assert not panel.open
    from kivy.tests.common import UnitTestTouch

    # Shut, the panel must not take a touch meant for any button of the screen
    # (its hidden rows once swallowed 下一步 and 我都带齐了 in scripts/run).
    def in_panel(w: Any) -> bool:
        while w is not None and w is not w.parent:
            if w is panel:
                return True
            w = w.parent
        return False

    for b in buttons(shell):
        if b.get_root_window() is not None and not in_panel(b):
            assert not panel.on_touch_down(UnitTestTouch(*b.to_window(*b.center))), \
                getattr(b, "action", b)
    # The hidden rows keep their geometry above the strip: a touch there is the screen's.
    for line in panel.ids.rows.children:
        assert not panel.on_touch_down(UnitTestTouch(*line.to_window(*line.center)))
    # On a touch screen without keys: a long press in the bottom-right corner.
    touch = UnitTestTouch(Window.width - 5, 5)
    touch.touch_down()
    touch.time_start -= 2.0  # held for two seconds
    touch.touch_up()
    harness.render()
    assert panel.open
    kiosk.services.simenv = None


def show_receipt_qr(env: SimEnvironment, payload: str) -> None:
    """Hold a receipt's QR code under the document camera: the newest file of its scene
    directory, which the real OpenCV driver's simulator source shows."""
    import cv2
    import numpy as np
    assert env.scenes is not None
    directory = env.scenes.scene_dir("doccam")
    qr = cv2.QRCodeEncoder.create().encode(payload)
    qr = cv2.resize(qr, None, fx=8, fy=8, interpolation=cv2.INTER_NEAREST)
    page = np.full((720, 1280), 235, np.uint8)
    y, x = (720 - qr.shape[0]) // 2, (1280 - qr.shape[1]) // 2
    page[y:y + qr.shape[0], x:x + qr.shape[1]] = qr
    tmp = directory / "99999-receipt.tmp"
    ok, png = cv2.imencode(".png", cv2.cvtColor(page, cv2.COLOR_GRAY2BGR))
    assert ok
    tmp.write_bytes(png.tobytes())
    tmp.replace(directory / "99999-receipt.png")


def test_progress_query_by_receipt_qr(harness: Any, env: SimEnvironment,
                                      delivered: tuple[str, str], kiosk: Kiosk,
                                      shot: Shot) -> None:
    ref, submitted = delivered
    shell, screen = open_service(harness, kiosk, "progress")
    try:
        # The receipt's QR: the kiosk reference with the issuing terminal's query token.
        token = BackofficeClient.from_config(env.config(), clock=SystemClock()).query_token(ref)
        show_receipt_qr(env, f"{kiosk.config.devices.printer.query_base_url}/q/{ref}?t={token}")
        assert render_until(harness, lambda: screen.state in ("timeline", "error")), screen.state
        assert screen.state == "timeline", screen.notice
        assert render_until(harness, lambda: submitted in texts(shell), 5.0)
        shot("timeline")
        env.camera_scene("doccam", "none")  # the citizen takes the receipt away
        harness.press(shell.ids.back)  # Back inside the query: to its start, data dropped
        assert shell.sm.current == "progress" and screen.state == "start"
        assert screen.journey is not None and screen.journey.data.ref is None
        harness.press(shell.ids.back)  # Back again leaves the query
        assert shell.sm.current == "home"
    finally:
        env.camera_scene("doccam", "none")


class ReadyCases:
    """The back office's answer for an applicant with one result ready at the kiosk.

    The reference back office sets ``collect.method = "kiosk"`` only through the staff
    HTTP API, which the simulated environment leaves without a token; so the answer is
    given here as the client's own CaseStatus data. Printing is the real driver's."""

    def __init__(self, item_code: str) -> None:
        self.item_code = item_code

    def case_status(self, number_or_ref: str, token: str) -> Any:
        return self.applicant_cases("", None)[0]

    def applicant_cases(self, id_number: str, verification: Any) -> list[Any]:
        from kiosk.submission.client import CaseStatus
        return [CaseStatus.model_validate({
            "case_number": "XS20261122000777", "kiosk_ref": "XD-261122-0777-K",
            "status": "ready_for_pickup", "received_at": "2026-11-22T09:00:00+08:00",
            "item_code": self.item_code, "owed_materials": [],
            "collect": {"method": "kiosk", "place": "township", "note": "自助机当场打印"},
            "timeline": [{"status": "submitted", "at": "2026-11-22T09:00:00+08:00"},
                         {"status": "ready_for_pickup", "at": "2026-11-22T10:00:00+08:00"}]})]


def test_certificate_prints_a_result_ready_at_the_kiosk(harness: Any, env: SimEnvironment,
                                                        kiosk: Kiosk, shot: Shot) -> None:
    kiosk.services.lookup = ReadyCases(kiosk.catalog.items[0].code)
    shell, screen = open_service(harness, kiosk, "print")
    env.place_card("resident")
    assert render_until(harness, lambda: screen.state in ("list", "none_ready", "error"))
    assert screen.state == "list", screen.notice
    shot("1-list")
    before = len(env.receipts())
    harness.press(one([b for b in buttons(shell) if getattr(b, "case_index", None) == 0]))
    assert render_until(harness, lambda: screen.state in ("done", "reprint"))
    assert screen.state == "done", screen.notice
    assert render_until(harness, lambda: len(env.receipts()) > before)
    shot("2-printed")
