"""How was it (好差评): five big stars, reason chips, send or skip."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from screens.journey.parts import StepView
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))


class RatingView(StepView):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.score = 0
        self.reasons: set[str] = set()

    def fill(self, view: dict[str, Any]) -> None:
        t = self.ui.theme
        stars = self.row(height=t.target * 1.8)
        for s in view["scores"]:
            stars.add_widget(self.button("★" if s <= self.score else "☆", f"star:{s}",
                                         partial(self._score, s),
                                         kind="chosen" if s <= self.score else "secondary",
                                         width=t.target * 1.6, height=t.target * 1.6,
                                         font="title"))
        self.add_widget(stars)
        sv, grid = self.scroll(cols=2 if t.landscape else 1)
        for r in view["reasons"]:
            chosen = r["code"] in self.reasons
            b = self.button(self.tr(r["label"]), f"reason:{r['code']}",
                            partial(self._reason, r["code"]),
                            kind="chosen" if chosen else "secondary", height=t.target * 1.2)
            b.size_hint_x = 1
            grid.add_widget(b)
        self.add_widget(sv)

    def _score(self, s: int) -> None:
        self.score = s
        self.host.refresh()

    def _reason(self, code: str) -> None:
        self.reasons ^= {code}
        self.host.refresh()

    def actions(self, view: dict[str, Any]) -> list[Any]:
        send = self.button(self.tr("journey.rating.send"), "rated", self._send)
        send.disabled = not self.score
        return [self.trigger_button("journey.rating.skip", "next", view, kind="secondary"),
                send]

    def _send(self) -> None:
        score, reasons = self.score, sorted(self.reasons)
        self.score, self.reasons = 0, set()
        self.host.fire("rated", score=score, reasons=reasons)
