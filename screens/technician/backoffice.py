"""Back-office reachability and the clock skew between kiosk and back office
(signed requests are refused beyond 300 s). Checked on a worker thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from screens.technician.base import TechScreen, worker
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))


class BackofficeScreen(TechScreen):
    title_key = "ts.tech.backoffice"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.result: dict[str, Any] | None = None

    def show(self, **params: Any) -> None:
        super().show(**params)
        self.result = None
        self.check()

    def check(self) -> None:
        self.status = self.ui.tr("ts.tech.checking")
        console = self.console

        def work() -> None:
            result = console.backoffice()
            self.nav.bridge.post(self._checked, result)
        worker(work)

    def _checked(self, result: dict[str, Any]) -> None:
        self.result = result
        self.status = ""
        if self.manager is not None and self.manager.current == self.name:
            self.refresh()

    def render(self) -> None:
        ui = self.ui
        self.message = ui.tr("ts.tech.backoffice_url", url=self.console.config.backoffice.url
                             or "—")
        result = self.result
        if result is not None:
            reachable = bool(result.get("reachable"))
            skew = result.get("clock_skew_s")
            self.table(ui.tr("ts.tech.backoffice_ok" if result.get("ok")
                             else "ts.tech.backoffice_bad"), [
                (ui.tr("ts.tech.reachable"), ui.tr("ts.tech.yes" if reachable
                                                   else "ts.tech.no")),
                (ui.tr("ts.tech.server_time"), str(result.get("server_time") or "—")),
                (ui.tr("ts.tech.skew"), "—" if skew is None else f"{skew:+.1f} s"),
                (ui.tr("ts.tech.problem"), str(result.get("problem") or "—")),
            ], bad=not result.get("ok"))
        self._fleet()
        self.action("ts.tech.check_again", self.check, "check")

    def _fleet(self) -> None:
        """What the kiosk runs on (kiosk/fleet/): catalog and settings, maintenance, the
        last problem fleet control met."""
        ui = self.ui
        fleet = self.console.fleet_summary()
        if not fleet.get("available"):
            return
        source = str(fleet.get("catalog_source") or "sample")
        problems = fleet.get("problems") or []
        self.table(ui.tr("ts.tech.fleet_ok" if fleet.get("ok") else "ts.tech.fleet_bad"), [
            (ui.tr("ts.tech.fleet_catalog"),
             f"{fleet.get('catalog_version')} ({ui.tr(f'ts.tech.fleet_source.{source}')})"),
            (ui.tr("ts.tech.fleet_settings"), str(fleet.get("settings_version") or "—")),
            (ui.tr("ts.tech.fleet_maintenance"),
             str(fleet.get("maintenance_reason")) if fleet.get("maintenance")
             else ui.tr("ts.tech.no")),
            (ui.tr("ts.tech.problem"), str(problems[-1])[:200] if problems else "—"),
        ], bad=not fleet.get("ok"))
