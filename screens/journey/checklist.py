"""What did you bring: every material of the item in one list that fills the step,
each with its state in words — 带了 (handed over next), 容缺·补交期限 (brought later,
by a date), 免提交 (the departments share it) — and the buttons that change it.

我都带齐了 sits at the end of the list, so a citizen reaches it only by going past
every material; when the list is longer than the step, it scrolls with a visible bar
and a line that says more is below. Landscape: the instruction and 下一步 stand in a
column on the left and the list takes the full height on the right.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from screens.journey.parts import StepView
from screens.widgets import Card, load_kv

load_kv(Path(__file__).with_suffix(".kv"))

#: State of a material -> colour of its state line.
STATE_COLOUR = {"ticked": "success", "deferred": "window", "shared": "muted",
                "missing": "danger", "optional": "muted"}


class ChecklistView(StepView):
    def render(self, view: dict[str, Any]) -> None:
        t = self.ui.theme
        if not t.landscape:
            super().render(view)
            return
        self.clear_widgets()
        self.orientation = "horizontal"
        self.spacing = t.gap
        side = BoxLayout(orientation="vertical", spacing=t.gap, size_hint_x=0.34)
        # The instruction scrolls in its column if a long translation needs more room.
        words, column = self.scroll()
        column.padding = 0
        column.add_widget(self.para(self.tr(view["message"]), "body", bold=True))
        self._missing(column, view)
        side.add_widget(words)
        for b in self.actions(view):
            b.size_hint_x = 1
            side.add_widget(b)
        self.add_widget(side)
        self.add_widget(self._list(view))

    def fill(self, view: dict[str, Any]) -> None:
        self.add_widget(self._list(view))
        self._missing(self, view)

    def _missing(self, into: Any, view: dict[str, Any]) -> None:
        if view["missing"]:
            into.add_widget(self.para(self.tr("journey.checklist.missing",
                                              n=len(view["missing"])), "body", "danger"))

    def _list(self, view: dict[str, Any]) -> Any:
        t = self.ui.theme
        box = BoxLayout(orientation="vertical", spacing=t.gap * 0.4)
        sv, grid = self.scroll(keep="materials")
        sv.bar_width = t.gap * 0.8
        sv.bar_color = t.colour("primary")
        sv.bar_inactive_color = t.colour("primary", 0.6)
        grid.spacing = t.gap * 0.6
        for m in view["materials"]:
            grid.add_widget(self._material(m))
        # 我都带齐了 follows the last material: reaching it means passing all of them.
        end = self.row(height=self._button_height())
        end.add_widget(Widget())
        end.add_widget(self.button(self.tr("journey.checklist.all"), "all_ticked",
                                   lambda: self.host.fire("all_ticked"), kind="secondary",
                                   height=self._button_height()))
        grid.add_widget(end)
        more = self.para(self.tr("journey.checklist.more_below"), "small", "primary", True,
                         halign="center")
        box.add_widget(sv)
        box.add_widget(more)

        def hint(*_: Any) -> None:
            # Shown while the end of the list is below the step's edge.
            below = grid.height > sv.height + 1 and sv.scroll_y > 0.01
            more.opacity = 1 if below else 0
            more.height = more.texture_size[1] if below else 0

        for w, prop in ((grid, "height"), (sv, "height"), (sv, "scroll_y"),
                        (more, "texture_size")):
            w.bind(**{prop: hint})
        Clock.schedule_once(hint, 0)
        return box

    def _state(self, m: dict[str, Any]) -> str:
        status = m["status"]
        if status == "ticked":
            return self.tr("journey.checklist.state.ticked")
        if status == "deferred":
            return self.tr("journey.checklist.state.deferred", date=m["deadline"])
        if status == "shared":
            return self.tr("journey.checklist.state.shared")
        if not m["required"]:
            return self.tr("journey.checklist.state.optional")
        if m["deferrable"]:
            return self.tr("journey.checklist.state.bring_or_defer",
                           days=m["supplement_days"] or 0)
        return self.tr("journey.checklist.state.bring")

    def _material(self, m: dict[str, Any]) -> Any:
        t = self.ui.theme
        status = m["status"]
        card = Card(bg=t.colour("surface"), radius=t.radius, padding=t.gap * 0.6,
                    spacing=t.gap * 0.4)
        name = m["name"]
        if m["count"] and m["count"] > 1:
            name += self.tr("journey.checklist.count", n=m["count"])
        text = BoxLayout(orientation="vertical", size_hint_y=None, spacing=t.gap * 0.3)
        text.bind(minimum_height=text.setter("height"))
        text.add_widget(self.para(name, "body", "on_surface", True))
        text.add_widget(self.para(self._state(m), "body", STATE_COLOUR[status],
                                  status in ("ticked", "deferred")))
        if m.get("note"):
            text.add_widget(self.para(m["note"], "small", "muted"))
        buttons = self._buttons(m)
        if not buttons:
            card.add_widget(text)
            return card
        line = BoxLayout(size_hint_y=None, spacing=t.gap)
        if t.landscape or len(buttons) == 1:
            # Buttons beside the words.
            line.add_widget(text)
            for b in buttons:
                line.add_widget(b)
            tallest = max(b.height for b in buttons)
            text.bind(height=lambda _w, h: setattr(line, "height", max(h, tallest)))
            line.height = max(text.height, tallest)
            card.add_widget(line)
        else:
            # Two buttons beside a long name leave it no room on a portrait screen.
            card.add_widget(text)
            line.height = max(b.height for b in buttons)
            line.add_widget(Widget())
            for b in buttons:
                line.add_widget(b)
            card.add_widget(line)
        return card

    def _buttons(self, m: dict[str, Any]) -> list[Any]:
        t = self.ui.theme
        status = m["status"]
        if status == "shared":
            return []
        ticked = status == "ticked"
        out = [self.button(("✓ " if ticked else "") + self.tr("journey.checklist.have"),
                           f"tick:{m['code']}",
                           lambda: self.host.fire("material_ticked", code=m["code"],
                                                  ticked=not ticked),
                           kind="success" if ticked else "secondary", width=t.target * 3,
                           height=self._button_height())]
        if m["deferrable"]:
            deferred = status == "deferred"
            out.append(self.button(
                self.tr("journey.checklist.defer", days=m["supplement_days"] or 0)
                if not deferred else "✓ " + self.tr("journey.checklist.deferred"),
                f"defer:{m['code']}",
                lambda: self.host.fire("material_deferred", code=m["code"],
                                       deferred=not deferred),
                kind="chosen" if deferred else "secondary", width=t.target * 4.4,
                height=self._button_height()))
        return out

    def _button_height(self) -> float:
        t = self.ui.theme
        return float(t.target * (1.0 if t.landscape else 1.2))

    def actions(self, view: dict[str, Any]) -> list[Any]:
        return [self.trigger_button("journey.next", "next", view)]
