"""The technician's PIN pad (after the corner gesture). The PinGate counts wrong
PINs and locks the entry (5 wrong → 15 minutes, persisted); this screen only shows
what it answers."""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path
from typing import Any

from kivy.properties import StringProperty

from kiosk.technician.gate import PinResult
from screens.base import KioskScreen
from screens.services.parts import button
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))

MAX_DIGITS = 12
KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "back")
#: Large text leaves less height for the keypad: four keys a row, three rows, so that
#: no key is smaller than in the standard layout.
WIDE_KEYS = ("1", "2", "3", "clear", "4", "5", "6", "back", "7", "8", "9", "0")


class PinScreen(KioskScreen):
    title_key = "ts.tech.title"
    entered = StringProperty("")
    message = StringProperty("")
    problem = StringProperty("")

    def show(self, **params: Any) -> None:
        self.entered = ""
        self.problem = ""

    def refresh(self) -> None:
        gate = self.nav.hidden_entry.gate
        self.message = self.ui.tr("workflow.technician.enter_pin")
        if gate.remaining_s() > 0:
            self.problem = self._locked_text()
        pad = self.ids.keypad
        pad.clear_widgets()
        wide = self.ui.elderly
        pad.cols = 4 if wide else 3
        for key in WIDE_KEYS if wide else KEYS:
            label = {"clear": self.ui.tr("ts.tech.pin_clear"),
                     "back": self.ui.tr("ts.tech.pin_back")}.get(key, key)
            b = button(self.ui, label, partial(self.key, key),
                       style="surface" if key in ("clear", "back") else "primary",
                       name=f"key_{key}")
            if key.isdigit():
                b.font_size = self.ui.theme.title
            pad.add_widget(b)
        self.ids.ok_box.clear_widgets()
        self.ids.ok_box.add_widget(button(self.ui, self.ui.tr("ts.tech.pin_ok"), self.submit,
                                          name="ok"))

    def _locked_text(self) -> str:
        minutes = max(1, math.ceil(self.nav.hidden_entry.gate.remaining_s() / 60))
        text: str = self.ui.tr("workflow.technician.pin_locked", minutes=minutes)
        return text

    def key(self, key: str) -> None:
        if key == "clear":
            self.entered = ""
        elif key == "back":
            self.entered = self.entered[:-1]
        elif len(self.entered) < MAX_DIGITS:
            self.entered += key

    def submit(self) -> None:
        entry = self.nav.hidden_entry
        gate = entry.gate
        pin, self.entered = self.entered, ""
        result = gate.check(pin)
        if result is PinResult.OK:
            entry.authenticated = True
            self.problem = ""
            self.nav.go("tech_menu")
        elif result is PinResult.WRONG:
            left = entry.shell.kiosk.config.technician.max_wrong_pins - gate.failures()
            self.problem = self.ui.tr("workflow.technician.pin_wrong", left=left)
        elif result is PinResult.LOCKED:
            self.problem = self._locked_text()
        else:
            self.problem = self.ui.tr("ts.tech.disabled")
