"""进度查询, 证明打印 and 取号 from Home: what the citizen does next for each.

Progress and certificate printing start with the ID card (the back office lists
only the cases of the applicant the terminal has just verified); their journeys
are added by the engineers of those areas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from screens.base import KioskScreen
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))


class ServiceScreen(KioskScreen):
    kind = StringProperty("progress")  # progress, print, queue
    needs_card = BooleanProperty(True)

    def show(self, **params: Any) -> None:
        self.kind = params.get("kind", "progress")
        self.title_key = f"ui.home.{self.kind}"
        self.needs_card = self.kind != "queue"
