"""证明打印: swipe the ID card → the cases whose result waits at this kiosk →
choose one → printed (or: reprint, or collect it at the window)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from screens.services.base import ServiceScreen
from screens.services.parts import button, case_row, collect_card, columns, summary_card
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))


class CertificateScreen(ServiceScreen):
    kind = "print"
    title_key = "ui.home.print"
    done_key = "ts.svc.certificate_done"

    def render(self, view: dict[str, Any]) -> None:
        ui = self.ui
        content = self.ids.content
        actions = self.ids.actions
        desk = self.desk
        if self.state == "list":
            for n, case in enumerate(view["cases"]):
                content.add_widget(case_row(ui, case, desk.item_name(case["item_code"], ui.lang),
                                            n, lambda i: self.fire("select", index=i)))
        elif self.state in ("printing", "reprint", "done") and self.journey is not None:
            selected = self.journey.data.selected
            if selected is not None and selected < len(view["cases"]):
                case = view["cases"][selected]
                left, right = columns(ui, content)
                left.add_widget(summary_card(ui, case, desk.item_name(case["item_code"],
                                                                      ui.lang)))
                right.add_widget(collect_card(ui, case))
            if self.state == "reprint":
                actions.add_widget(button(ui, ui.tr("ts.svc.reprint"),
                                          lambda: self.fire("reprint"), name="reprint"))
        elif self.state == "none_ready":
            content.add_widget(button(ui, ui.tr("ui.home.progress"),
                                      lambda: self.nav.go("progress"), style="surface",
                                      name="to_progress"))
        elif self.state == "error":
            actions.add_widget(button(ui, ui.tr("ts.svc.retry"), lambda: self.fire("retry"),
                                      name="retry"))
        self.ids.scroll.scroll_y = 1
