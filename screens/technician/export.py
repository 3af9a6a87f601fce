"""Export a diagnostic bundle (config without secrets, redacted logs, device
diagnostics) to the kiosk's own folder or to a USB stick mounted under /media or
/mnt; the list of sticks is read when the screen is shown."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from kiosk.errors import KioskError
from screens.services.parts import button, para
from screens.technician.base import TechScreen, worker
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))


class ExportScreen(TechScreen):
    title_key = "ts.tech.export"

    def targets(self) -> list[Path]:
        # The kiosk's own folder (``services.bundle_dir`` when the app sets one).
        local = Path(self.ui.kiosk.services.bundle_dir
                     or self.console.config.terminal.data_path() / "diagnostics")
        return [local, *self.console.usb_targets()]

    def render(self) -> None:
        ui = self.ui
        targets = self.targets()
        usb = len(targets) - 1
        self.message = ui.tr("ts.tech.export_usb", count=usb) if usb else \
            ui.tr("ts.tech.export_no_usb")
        for n, target in enumerate(targets):
            label = ui.tr("ts.tech.export_local" if n == 0 else "ts.tech.export_stick",
                          path=str(target))
            b = button(ui, label, partial(self.export, target),
                       style="primary" if n else "surface", name=f"export_{n}")
            b.size_hint_y = None
            b.height = ui.theme.target * 1.2
            self.add(b)
        self.add(para(ui, ui.tr("ts.tech.export_contents"), size="small",
                      colour="muted_bg"))

    def export(self, target: Path) -> None:
        self.status = self.ui.tr("ts.tech.exporting")
        console = self.console

        def work() -> None:
            try:
                path = console.export(target)
            except KioskError as exc:
                self.nav.bridge.post(self._done, None, exc.i18n_key)
            except OSError:  # a stick pulled out or full mid-write
                self.nav.bridge.post(self._done, None, "ts.tech.export_write_failed")
            else:
                self.nav.bridge.post(self._done, path, None)
        worker(work)

    def _done(self, path: Path | None, problem: str | None) -> None:
        if path is not None:
            self.status = self.ui.tr("ts.tech.export_done", path=str(path))
        else:
            self.status = self.ui.tr("workflow.technician.bundle_failed") + \
                (f" ({self.ui.tr(problem)})" if problem else "")
