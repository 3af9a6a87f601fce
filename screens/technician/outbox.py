"""The outbox: cases waiting to be sent, cases the back office refused (with its
reason; kept for staff) and "retry now" (lifts a hold, wakes the sender)."""

from __future__ import annotations

from pathlib import Path

from screens.services.parts import columns
from screens.technician.base import TechScreen
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))


class OutboxScreen(TechScreen):
    title_key = "ts.tech.outbox"

    def render(self) -> None:
        ui = self.ui
        summary = self.console.outbox_summary()
        if not summary.get("available"):
            self.message = ui.tr("ts.tech.outbox_none")
            return
        self.message = ui.tr("ts.tech.outbox_counts", pending=summary["pending"],
                             refused=summary["refused"], delivered=summary["delivered"])
        # Refused cases first (left): they wait for staff; the queue drains by itself.
        left, right = columns(ui, self.ids.content)
        for case in summary["refused_cases"]:
            self.table(ui.tr("ts.tech.refused_case", ref=case["kiosk_ref"]), [
                (ui.tr("ts.tech.http_status"), str(case["http_status"] or "—")),
                (ui.tr("ts.tech.reason"), case["reason"] or "—"),
                (ui.tr("ts.tech.attempts"), str(case["attempts"])),
            ], bad=True, parent=left)
        age = summary.get("oldest_pending_age_s")
        self.table(ui.tr("ts.tech.outbox_queue"), [
            (ui.tr("ts.tech.pending"), str(summary["pending"] + summary["sending"])),
            (ui.tr("ts.tech.pending_bytes"), f"{summary['pending_bytes'] / 1024:.0f} KiB"),
            (ui.tr("ts.tech.oldest"), "—" if age is None else f"{age:.0f} s"),
            (ui.tr("ts.tech.accepting"), ui.tr("ts.tech.yes" if summary["accepting"]
                                               else "ts.tech.no")),
            (ui.tr("ts.tech.hold"), ui.tr("ts.tech.yes" if summary["hold_until"]
                                          else "ts.tech.no")),
        ], parent=right)
        self.action("ts.tech.retry_now", self.retry_now, "retry_now")

    def retry_now(self) -> None:
        self.console.retry_now()
        self.status = self.ui.tr("ts.tech.retry_started")
        self.refresh()
