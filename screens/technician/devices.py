"""Every device with its state, media status, last error and counters. The shell
refreshes the current screen when a device's status changes (through the bridge),
so a device going UNAVAILABLE shows here at once."""

from __future__ import annotations

from pathlib import Path

from kivy.uix.gridlayout import GridLayout

from screens.technician.base import TechScreen
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))


class DevicesScreen(TechScreen):
    title_key = "ts.tech.devices"

    def render(self) -> None:
        ui = self.ui
        rows = self.console.device_rows()
        self.message = ui.tr("ts.tech.devices_count", count=len(rows)) if rows else \
            ui.tr("ts.tech.devices_none")
        theme = ui.theme
        grid = GridLayout(cols=3 if theme.landscape else 2, spacing=theme.gap,
                          size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        self.add(grid)
        for row in rows:
            bad = row["state"] != "ready"
            reason = ui.tr(row["reason"]) if row["reason"] else "—"
            self.table(ui.tr("device.kind." + row["kind"]), [
                (ui.tr("ts.tech.device_name"), row["name"]),
                (ui.tr("ts.tech.state"), ui.tr(f"ts.tech.state.{row['state']}")),
                (ui.tr("ts.tech.media"), ui.tr("ts.tech.media." + row["media"].replace("/", "_"))),
                (ui.tr("ts.tech.reason"), reason),
                (ui.tr("ts.tech.enabled"), ui.tr("ts.tech.yes" if row["enabled"]
                                                 else "ts.tech.no")),
                (ui.tr("ts.tech.counters"), ui.tr("ts.tech.counters_value",
                                                  ops=row["operations"],
                                                  failures=row["failures"])),
                (ui.tr("ts.tech.last_error"), row["last_error"] or "—"),
            ], bad=bad, parent=grid, heading_size="body")
        self.action("ts.tech.refresh", self.refresh, "refresh")
