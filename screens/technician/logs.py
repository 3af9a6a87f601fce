"""Recent log records from the ring buffer, newest first (redacted when logged)."""

from __future__ import annotations

import logging
from pathlib import Path

from screens.services.parts import para
from screens.technician.base import TechScreen
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))

SHOWN = 100


class LogsScreen(TechScreen):
    title_key = "ts.tech.logs"
    min_level = logging.INFO

    def render(self) -> None:
        ui = self.ui
        records = self.console.recent_logs(SHOWN, self.min_level)
        self.message = ui.tr("ts.tech.logs_count", count=len(records))
        if self.console.ring is None:
            self.add(para(ui, ui.tr("ts.tech.logs_none"), colour="on_background"))
        for record in reversed(records):
            colour = "danger" if record.get("level") in ("ERROR", "CRITICAL") else "on_surface"
            line = para(ui, f"{record.get('time', '')}  {record.get('level', '')}  "
                            f"{record.get('logger', '')}: {record.get('message', '')}",
                        size="small", colour=colour)
            self.add(line)
        self.action("ts.tech.warnings_only" if self.min_level < logging.WARNING
                    else "ts.tech.all_levels", self.toggle, "level")

    def toggle(self) -> None:
        self.min_level = logging.WARNING if self.min_level < logging.WARNING else logging.INFO
        self.refresh()
