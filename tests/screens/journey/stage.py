"""A journey screen driven by the test: the real shell, screen and step views, a real
:class:`~kiosk.journey.apply.Journey` bound to the session like the app's starter does, but no
back office and no device loops; the test fires the journey's triggers and feeds the
previews frames itself."""

from __future__ import annotations

from datetime import date
from typing import Any

import cv2
import numpy as np

from kiosk.journey.apply import Journey, JourneySettings
from kiosk.journey.data import SubmitOutcome
from kiosk.journey.plan import plan_for
from kiosk.journey.session import JourneyBinding
from kiosk.wiring.build import Kiosk
from tests.kiosk.journey_factory import PNG, identity

#: The walk's item: face, a 容缺 material, the 户口簿 to capture (首页 + 本人页), a form.
ITEM = "330109-HJ-003"
DEFERRED = "SEPARATION-CONSENT"


def frame(width: int = 1280, height: int = 720, shade: int = 90) -> Any:
    """A camera frame: a grey room with a lighter sheet in the middle (BGR)."""
    image = np.full((height, width, 3), shade, np.uint8)
    cv2.rectangle(image, (width // 3, height // 8), (width * 2 // 3, height * 7 // 8),
                  (235, 235, 235), -1)
    return image


def jpeg(width: int = 600, height: int = 840) -> bytes:
    ok, data = cv2.imencode(".jpg", frame(width, height, 200))
    assert ok
    return bytes(data)


class Stage:
    def __init__(self, harness: Any, kiosk: Kiosk, size: tuple[int, int] | None = None,
                 code: str = ITEM) -> None:
        self.h, self.kiosk = harness, kiosk
        self.shell = harness.show(kiosk, size)
        kiosk.session.touch()
        self.shell.go("journey", code=code)
        self.screen = self.shell.current
        self.j = Journey(plan_for(code, kiosk.catalog),
                         JourneySettings(site_id=kiosk.site.id, terminal_id="XS-TEST-0001"),
                         clock=kiosk.clock)
        self.binding = JourneyBinding(self.j, kiosk.session)
        self.screen.journey = self.j
        self.j.add_listener(self.screen._on_change)
        self.render()

    def render(self) -> None:
        self.screen.refresh()
        self.h.render()

    def fire(self, trigger: str, **data: Any) -> None:
        self.j.fire(trigger, **data)
        self.render()

    def view(self, name: str) -> Any:
        return self.screen._views[name]

    # -- to a step ---------------------------------------------------------------------
    def to_face(self) -> None:
        self.fire("card_read", identity=identity())

    def to_capture(self) -> None:
        self.to_face()
        self.fire("face_ok", score=0.8)
        self.fire("material_deferred", code=DEFERRED)
        self.fire("all_ticked")
        self.fire("next")
        assert self.j.state.startswith("capture:"), self.j.state

    def to_printing(self, refs: tuple[str, ...] = ("XD-261122-0042-7",),
                    numbers: tuple[str | None, ...] = ("330109202611220001",),
                    promised: tuple[date | None, ...] = (),
                    links: tuple[str, ...] | None = None) -> None:
        self.to_capture()
        self.fire("page_added", data=jpeg(), content_type="image/jpeg")
        self.fire("next")
        for f in self.j.plan.form:
            if f.name == "phone":
                self.fire("field_set", name="phone", value="13800138000")
            elif f.name == "new_address":
                self.fire("field_set", name="new_address", value="人民路88号")
            elif f.name == "delivery":
                self.fire("field_set", name="delivery", value="window")
        self.fire("next")
        self.fire("signed", png=PNG)
        self.fire("next")
        self.fire("rated", score=5, reasons=["fast"])
        if links is None:  # the receipt's progress links, with a token each
            links = tuple(f"https://q.example/q/{ref}?t=Tok3n" for ref in refs)
        self.fire("submit_ok", outcome=SubmitOutcome(refs, numbers, promised, links))
        assert self.j.state == "printing", self.j.state
