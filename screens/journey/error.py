"""Something went wrong: the message of the error (``error_key``) and a way forward:
retry, back (where the failed step's back goes), or home. Also the journey's ends
(cancelled, timed out, card taken away)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from screens.journey.parts import StepView
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))


class ErrorView(StepView):
    def fill(self, view: dict[str, Any]) -> None:
        if view.get("error_key"):
            self.add_widget(self.para(self.tr(view["error_key"]), "title", "danger", True))
        self.add_widget(self.para(self.tr("journey.error.help"), "body", "muted_bg"))

    def actions(self, view: dict[str, Any]) -> list[Any]:
        buttons = [self.button(self.tr("journey.home"), "home", self.host.nav.home,
                               kind="danger")]
        if "back" in view["triggers"]:
            buttons.append(self.trigger_button("journey.back", "back", view, kind="secondary"))
        if "retry" in view["triggers"]:
            buttons.append(self.trigger_button("journey.retry", "retry", view))
        return buttons


class EndView(StepView):
    def fill(self, view: dict[str, Any]) -> None:
        self.add_widget(self.para(self.tr("journey.end.wiped"), "body", "muted_bg"))

    def actions(self, view: dict[str, Any]) -> list[Any]:
        return [self.button(self.tr("journey.home"), "home", self.host.nav.home)]
