"""Check before sending: the applicant (name, ID number masked), how the identity was
verified, the materials (pages, 容缺 deadlines, 免提交), the answers, the signature."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from screens.journey.parts import StepView
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))


class ReviewView(StepView):
    def fill(self, view: dict[str, Any]) -> None:
        sv, grid = self.scroll()
        who = view.get("applicant")
        if who:
            grid.add_widget(self.para(self.tr("journey.review.applicant", name=who["name"],
                                              id=who["id_number"]), "body", bold=True))
        if view.get("verification"):
            grid.add_widget(self.para(self.tr(
                f"journey.review.verified.{view['verification']}"), "body"))
        grid.add_widget(self.para(self.tr("journey.review.materials"), "heading", "primary"))
        for m in view["materials"]:
            if m["shared"]:
                note = self.tr("journey.checklist.shared")
            elif m["deferred_until"]:
                note = self.tr("journey.checklist.deferred_until", date=m["deferred_until"])
            else:
                note = self.tr("journey.review.one_page" if m["pages"] == 1
                               else "journey.review.pages", n=m["pages"])
            grid.add_widget(self.para(f"• {m['name']}  {note}", "body"))
        grid.add_widget(self.para(self.tr("journey.review.answers"), "heading", "primary"))
        for f in view["form"]:
            value = f["value"]
            if value is None or value == "":
                continue
            if f["type"] == "bool":
                value = self.tr("journey.form.yes" if value else "journey.form.no")
            for c in f["choices"]:
                if c["value"] == value:
                    value = c["label"]
            if f["type"] == "id_number":
                from kiosk.privacy import mask_id
                value = mask_id(str(value))
            grid.add_widget(self.para(f"{f['label']}：{value}", "body"))
        if view.get("signed"):
            grid.add_widget(self.para(self.tr("journey.signature.signed"), "body", "success"))
        t = self.ui.theme
        if not t.landscape:
            self.add_widget(sv)
            return
        # Landscape is short: 提交 stands beside the summary, not under it, so that
        # the summary gets the whole height (large text shows a few lines more).
        row = BoxLayout(spacing=t.gap * 2)
        row.add_widget(sv)
        side = BoxLayout(orientation="vertical", size_hint_x=None, width=t.width * 0.22)
        side.add_widget(Widget())
        submit = self.trigger_button("journey.review.submit", "next", view)
        submit.size_hint_x = 1
        side.add_widget(submit)
        row.add_widget(side)
        self.add_widget(row)

    def actions(self, view: dict[str, Any]) -> list[Any]:
        if self.ui.theme.landscape:
            return []  # beside the summary (fill)
        return [self.trigger_button("journey.review.submit", "next", view)]
