"""What did you bring: tick each material, "我都带齐了" in one tap, a 容缺 promise for a
deferrable missing material (with its deadline), shared materials shown as 免提交."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.uix.widget import Widget

from screens.journey.parts import StepView
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))

STATUS_KIND = {"ticked": "success", "deferred": "chosen", "shared": "secondary",
               "missing": "secondary", "optional": "secondary"}


class ChecklistView(StepView):
    def fill(self, view: dict[str, Any]) -> None:
        t = self.ui.theme
        sv, grid = self.scroll()
        for m in view["materials"]:
            grid.add_widget(self._material(m))
        self.add_widget(sv)
        if view["missing"]:
            self.add_widget(self.para(self.tr("journey.checklist.missing",
                                              n=len(view["missing"])), "body", "danger"))
        _ = t

    def _material(self, m: dict[str, Any]) -> Any:
        t = self.ui.theme
        box = self.row(height=t.target * 1.6)
        status = m["status"]
        text = m["name"]
        if m["count"] and m["count"] > 1:
            text += self.tr("journey.checklist.count", n=m["count"])
        if status == "shared":
            text += "  " + self.tr("journey.checklist.shared")
        elif status == "deferred":
            text += "  " + self.tr("journey.checklist.deferred_until", date=m["deadline"])
        elif not m["required"]:
            text += "  " + self.tr("journey.checklist.optional")
        label = self.para(text, "body", bold=status == "ticked", valign="middle")
        label.size_hint_y = 1
        label.bind(size=lambda w, s: setattr(w, "text_size", s))
        if status == "shared":
            box.add_widget(label)
            return box
        outer = box
        if m["deferrable"] and not t.landscape:
            # Two buttons beside a long name leave it no room on a portrait screen: the
            # name gets a line of its own above them.
            outer = self.row(height=t.target * 1.6 + t.size("body") * 3.2)
            outer.orientation = "vertical"
            outer.add_widget(label)
            outer.add_widget(box)
            box.add_widget(Widget())
        else:
            box.add_widget(label)
        ticked = status == "ticked"
        tick = self.button(self.tr("journey.checklist.have") if not ticked
                           else "✓ " + self.tr("journey.checklist.have"),
                           f"tick:{m['code']}",
                           lambda: self.host.fire("material_ticked", code=m["code"],
                                                  ticked=not ticked),
                           kind="success" if ticked else "secondary", width=t.target * 3)
        box.add_widget(tick)
        if m["deferrable"]:
            deferred = status == "deferred"
            box.add_widget(self.button(
                self.tr("journey.checklist.defer", days=m["supplement_days"] or 0)
                if not deferred else "✓ " + self.tr("journey.checklist.deferred"),
                f"defer:{m['code']}",
                lambda: self.host.fire("material_deferred", code=m["code"],
                                       deferred=not deferred),
                kind="chosen" if deferred else "secondary", width=t.target * 4.2,
                font="small"))
        return outer

    def actions(self, view: dict[str, Any]) -> list[Any]:
        return [self.button(self.tr("journey.checklist.all"), "all_ticked",
                            lambda: self.host.fire("all_ticked"), kind="secondary"),
                self.trigger_button("journey.next", "next", view)]
