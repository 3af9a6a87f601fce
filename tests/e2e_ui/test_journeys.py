"""Whole journeys through the real UI on the simulated terminal: from the first touch
on Home to the receipt the printer emulator rendered (its QR decoded with OpenCV),
with the back office holding the case."""

from __future__ import annotations

from typing import Any

import cv2
import pytest

from kiosk.app import Kiosk
from kiosk.simenv import SimEnvironment
from tests.e2e_ui.conftest import SHOTS
from tests.e2e_ui.driver import Citizen

pytestmark = [pytest.mark.ui, pytest.mark.slow, pytest.mark.timeout(600)]

SIMPLE, BUNDLE, DEFERRED = "330109-RS-003", "330109-NY-B01", "330109-HJ-003"


def decode_receipt_qrs(env: SimEnvironment, count: int) -> list[str]:
    found: list[str] = []
    for path in env.receipts()[-count:]:
        image = cv2.imread(str(path))
        assert image is not None, path
        ok, texts, _points, _ = cv2.QRCodeDetector().detectAndDecodeMulti(image)
        found += [t for t in texts if t] if ok else []
    return found


def finish(c: Citizen, *, rate: bool = True) -> None:
    c.wait_state("review")
    c.shot("review")
    c.press("next")
    c.wait_state("rating")
    if rate:
        c.press("star:5")
        c.press("reason:fast")
        c.shot("rating")
        c.press("rated")
    else:
        c.press("next")
    c.wait(lambda: c.state in ("printing", "reprint") or c.shell.sm.current == "home",
           "the receipt", timeout_s=60)
    if c.state in ("printing", "reprint"):
        c.shot("receipt")
    c.wait(lambda: c.state == "reprint" or c.shell.sm.current == "home", "the end",
           timeout_s=60)


def outbox_refs(kiosk: Kiosk) -> list[str]:
    return [r.kiosk_ref for r in kiosk.services["journey"].submission.outbox.records()]


def held(env: SimEnvironment, ref: str) -> int:
    """How many cases of the back office carry this kiosk reference (staff list)."""
    return sum(line.split()[3] == ref for line in env.backoffice_cli("staff", "list")
               .splitlines() if len(line.split()) > 3)


def test_simple_item(harness: Any, kiosk: Kiosk, env: SimEnvironment) -> None:
    before = set(outbox_refs(kiosk))
    c = Citizen(harness, kiosk, env, SHOTS, "simple")
    c.shot("home")
    c.open_item(SIMPLE)
    c.shot("identity")
    c.place_card()
    assert c.state == "form"  # card only, nothing to bring: straight to the form
    c.fill_form({"kind": ("choice", "summary")})
    finish(c)
    assert c.shell.sm.current == "home" and not kiosk.session.active
    refs = [r for r in outbox_refs(kiosk) if r not in before]
    assert len(refs) == 1
    qrs = decode_receipt_qrs(env, 1)
    assert any(refs[0] in q for q in qrs), qrs
    assert held(env, refs[0]) == 1, env.backoffice_cli("staff", "list")
