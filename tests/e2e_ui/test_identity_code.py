"""亮码 end to end through the real screens on the simulated terminal: the identity step
offers both ways; what the scanner reads (on its pty) reaches the journey only there; a
code the back office issued gives the identity and the journey goes on as after a card
(with the photo the platform holds); a code that is not one, an expired one, a used one and a back
office that cannot be reached each say why, and the card still works."""

from __future__ import annotations

import time
from typing import Any

import pytest

from kiosk.wiring.build import Kiosk
from screens.driver import Citizen
from simenv.environment import SimEnvironment
from tests.e2e_ui.conftest import SHOTS

pytestmark = [pytest.mark.ui, pytest.mark.slow, pytest.mark.timeout(300)]

SIMPLE = "330109-RS-003"  # card only, straight to the form


def says(c: Citizen, kiosk: Kiosk, key: str) -> None:
    text = kiosk.translator("zh_CN").gettext(key)
    c.wait(lambda: text in c.texts(), f"the words of {key}")


def test_identity_code_end_to_end(harness: Any, kiosk: Kiosk, env: SimEnvironment) -> None:
    assert kiosk.devices["codescanner"].status.ready, kiosk.devices["codescanner"].status
    c = Citizen(harness, kiosk, env, SHOTS, "identity-code")
    counters = kiosk.devices["codescanner"].counters.extra
    env.scan_code("ZJID1." + "A" * 32)  # shown at Home: read and let go
    # The reading thread takes it asynchronously: the step must not open before.
    c.wait(lambda: counters.get("dropped_idle", 0) >= 1, "the code shown at Home let go")
    c.open_item(SIMPLE)
    assert c.screen.journey.data.notice is None and c.state == "identity"
    words = c.texts()
    assert "刷身份证" in words and "亮码" in words
    c.shot("identity")

    env.scan_code("6901234567892")  # a product barcode
    says(c, kiosk, "workflow.code.unknown")
    stale = env.issue_code("resident", ttl_s=1)
    time.sleep(1.2)
    env.scan_code(stale)
    says(c, kiosk, "workflow.code.expired")
    c.shot("expired")
    assert c.state == "identity"

    code = env.present_code("resident")
    c.wait(lambda: c.state == "form", "the form after the code")
    data = c.screen.journey.data
    assert data.identity_source == "code" and data.identity.name == "张三"
    assert data.identity.photo_bmp.startswith(b"\xff\xd8")  # the platform's photo
    c.shot("form")
    env.scan_code(code)  # shown again on the form: let go
    c.wait(lambda: counters.get("dropped_idle", 0) >= 2, "the code shown on the form let go")
    c.press(c.shell.ids.back)  # the shell's 返回
    c.wait(lambda: c.state == "identity", "back to the identity step")
    env.scan_code(code)
    says(c, kiosk, "workflow.code.used")

    env.backoffice_down()
    env.scan_code(env.issue_code("resident"))
    says(c, kiosk, "workflow.code.offline")
    c.shot("offline")
    env.place_card("resident")  # the card still works
    c.wait(lambda: c.state == "form", "the form after the card")
    assert c.screen.journey.data.identity_source == "card"
    assert counters["dropped_idle"] >= 2
