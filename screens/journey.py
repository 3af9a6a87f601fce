"""The first step after Start: "please place your ID card" (the journey engineer
takes this screen over; the session already holds the chosen item)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.properties import StringProperty

from kiosk.session import EndReason
from screens.base import KioskScreen
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))


class JourneyScreen(KioskScreen):
    title_key = "ui.journey.title"
    code = StringProperty("")
    item_name = StringProperty("")

    def show(self, **params: Any) -> None:
        self.code = params.get("code", self.code)

    def refresh(self) -> None:
        self.item_name = self.ui.lt(self.ui.kiosk.item(self.code).name) if self.code else ""

    def cancel(self) -> None:
        self.ui.kiosk.session.end(EndReason.CANCEL)
