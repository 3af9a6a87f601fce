"""进度查询: swipe the ID card or show the receipt's QR code to the camera → the
applicant's cases → one case's timeline, what is still owed (容缺) and where to
collect; a query-result slip can be printed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.clock import Clock

from kiosk.desk.servicedesk import QrScanner
from kiosk.errors import KioskError
from screens.services.base import ServiceScreen, worker
from screens.services.parts import (
    button,
    case_row,
    collect_card,
    columns,
    owed_card,
    para,
    section,
    summary_card,
    timeline_card,
)
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))

#: Seconds between two looks for a QR code while the query waits for a card or a code.
QR_INTERVAL_S = 1.0


class ProgressScreen(ServiceScreen):
    kind = "progress"
    title_key = "ui.home.progress"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._qr: QrScanner | None = None
        self._qr_event: Any = None
        self._scanning = False

    def started(self) -> None:
        self.slip = ""
        camera = self.ui.kiosk.devices.get("doccam") or self.ui.kiosk.devices.get("camera")
        if camera is not None and hasattr(camera, "latest") and self._qr_event is None:
            self._qr = self.ui.kiosk.services.qr_scanner(camera)
            self._qr_event = Clock.schedule_interval(lambda _dt: self._look_for_qr(),
                                                     QR_INTERVAL_S)

    def on_leave(self, *args: Any) -> None:
        if self._qr_event is not None:
            self._qr_event.cancel()
            self._qr_event = None
        super().on_leave(*args)

    def _look_for_qr(self) -> None:
        scanner = self._qr
        if scanner is None or self._scanning or self.state != "start":
            return
        self._scanning = True

        def scan() -> None:
            payload = scanner.scan()
            self.nav.bridge.post(self._scanned, payload)
        worker(scan)

    def _scanned(self, payload: str | None) -> None:
        self._scanning = False
        if payload:
            self.fire("qr_scanned", payload=payload)

    # -- rendering -------------------------------------------------------------------
    def render(self, view: dict[str, Any]) -> None:
        ui = self.ui
        content = self.ids.content
        actions = self.ids.actions
        desk = self.desk
        if self.state == "start":
            ways = section(ui, ui.tr("ts.svc.ways"))
            for key in ("ts.svc.way_card", "ts.svc.way_qr"):
                ways.add_widget(para(ui, f"•  {ui.tr(key)}"))
            content.add_widget(ways)
        elif self.state == "results":
            for n, case in enumerate(view["cases"]):
                content.add_widget(case_row(ui, case, desk.item_name(case["item_code"], ui.lang),
                                            n, self.select))
        elif self.state == "timeline" and "case" in view:
            case = view["case"]
            left, right = columns(ui, content)
            left.add_widget(summary_card(ui, case, desk.item_name(case["item_code"], ui.lang)))
            owed = owed_card(ui, case)
            if owed is not None:
                left.add_widget(owed)
            right.add_widget(collect_card(ui, case))
            right.add_widget(timeline_card(ui, case))
            actions.add_widget(button(ui, ui.tr("ts.svc.print_slip"), self.print_slip,
                                      name="print_slip"))
        elif self.state == "error":
            actions.add_widget(button(ui, ui.tr("ts.svc.retry"), lambda: self.fire("retry"),
                                      name="retry"))
        self.ids.scroll.scroll_y = 1

    def select(self, index: int) -> None:
        self.fire("select", index=index)

    def print_slip(self) -> None:
        journey = self.journey
        if journey is None or journey.data.selected is None:
            return
        case = journey.data.cases[journey.data.selected]
        lang = self.ui.lang
        self.slip = self.ui.tr("ts.svc.printing")

        def work() -> None:
            try:
                self.desk.print_query_slip(case, lang)
            except KioskError as exc:
                self.nav.bridge.post(self._printed, exc.i18n_key)
            else:
                self.nav.bridge.post(self._printed, None)
        worker(work)

    def _printed(self, error_key: str | None) -> None:
        self.slip = self.ui.tr(error_key) if error_key else self.ui.tr("ts.svc.slip_printed")
