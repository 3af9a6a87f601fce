"""The item guide: conditions, the one-time checklist (一次性告知), steps, time limits,
fee and where to collect; then Start, or 暂停服务 with the reason, or "go to the window".

一次性告知 is the Zhejiang rule that a citizen learns once and completely what an item
needs, so nobody has to come back for a missing paper: every material is listed with
original/copy, count, and whether it may be handed in later (容缺) or is fetched by
data sharing (免提交).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

from kiosk.catalog import Material, ServiceItem
from kiosk.catalog.availability import Availability
from kiosk.desk.servicedesk import ServiceDesk
from kiosk.desk.siteservices import checklist_input, explain, window_for
from kiosk.errors import KioskError
from screens.base import KioskScreen, Same
from screens.theme import rgba
from screens.widgets import Para, load_kv

load_kv(Path(__file__).with_suffix(".kv"))


def _hex(rgba: tuple[float, float, float, float]) -> str:
    return "".join(f"{round(c * 255):02x}" for c in rgba[:3])


class GuideScreen(KioskScreen):
    code = StringProperty("")
    #: "available", "suspended" or "window_only": which action panel the .kv shows.
    action = StringProperty("available")
    reason_text = StringProperty("")
    availability = ObjectProperty(None, allownone=True)
    #: The heading of the window-only panel: the window here, or the nearest hall.
    window_title = StringProperty("")
    #: Window-only: the site has the item's window (取号), the printer can print (告知单).
    can_take_number = BooleanProperty(False)
    can_print = BooleanProperty(False)
    #: What became of 打印告知单 (printing, printed, or why not).
    print_note = StringProperty("")

    def show(self, **params: Any) -> None:
        self.code = params.get("code", self.code)
        self.print_note = ""

    @property
    def item(self) -> ServiceItem:
        item: ServiceItem = self.ui.kiosk.item(self.code)
        return item

    def title(self) -> str:
        return str(self.ui.lt(self.item.name)) if self.code else ""

    # -- rendering ---------------------------------------------------------------
    def device_view(self) -> Any:
        if not self.code:
            return None
        printer = self.ui.kiosk.devices.get("printer")
        return (self.ui.kiosk.check(self.item), printer is not None and printer.status.ready)

    def content_key(self) -> Any:
        return (self.code, Same(self.ui.kiosk.catalog)) if self.code else None

    def revisit(self) -> None:
        self.ids.scroll_materials.scroll_y = 1
        self.ids.scroll_info.scroll_y = 1

    def refresh(self) -> None:
        if not self.code:
            return
        item = self.item
        ui = self.ui
        theme = ui.theme
        self.availability = result = ui.kiosk.check(item)
        self.action = result.status.value
        self.reason_text = self._reason(result)
        kiosk = ui.kiosk
        window = window_for(kiosk.site, kiosk.catalog, item)
        self.window_title = ui.tr("ui.guide.window_only") if window is not None or \
            kiosk.site.services.nearest_hall is None else ui.tr("ui.guide.not_here")
        self.can_take_number = window is not None
        printer = kiosk.devices.get("printer")
        self.can_print = printer is not None and printer.status.ready
        self._place_window_buttons()
        self.ids.materials.clear_widgets()
        self.ids.info.clear_widgets()
        self._para(self.ids.materials, ui.tr("ui.guide.checklist"), theme.heading, bold=True,
                   colour="primary_text")
        self._para(self.ids.materials, ui.tr("ui.guide.checklist_hint"), theme.small,
                   colour="muted")
        must = [m for m in item.materials if not m.exempt_by_sharing]
        exempt = [m for m in item.materials if m.exempt_by_sharing]
        for n, material in enumerate(must, 1):
            self._para(self.ids.materials, self._material(n, material), theme.body)
        if not must:
            self._para(self.ids.materials, ui.tr("ui.guide.no_materials"), theme.body)
        if exempt:
            self._para(self.ids.materials, ui.tr("ui.guide.exempt_title"), theme.body,
                       bold=True, colour="success")
            for material in exempt:
                self._para(self.ids.materials, "·\u00a0" + ui.lt(material.name) + "  " +
                           ui.tr("ui.guide.mark.exempt"), theme.body, colour="muted")
        info = self.ids.info
        if item.conditions:
            self._para(info, ui.tr("ui.guide.conditions"), theme.heading, bold=True,
                       colour="primary_text")
            for condition in item.conditions:
                self._para(info, "·\u00a0" + ui.lt(condition), theme.body)
        self._para(info, ui.tr("ui.guide.steps"), theme.heading, bold=True, colour="primary_text")
        for n, step in enumerate(item.steps, 1):
            self._para(info, f"{n}. {ui.lt(step)}", theme.body)
        self._para(info, ui.tr("ui.guide.facts"), theme.heading, bold=True, colour="primary_text")
        for label, value in self._facts(item):
            self._para(info, f"[b]{label}[/b]  {value}", theme.body)
        self.ids.scroll_materials.scroll_y = 1
        self.ids.scroll_info.scroll_y = 1

    def _facts(self, item: ServiceItem) -> list[tuple[str, str]]:
        tr = self.ui.tr
        facts = []
        if item.legal_days is not None:
            facts.append((tr("ui.guide.legal_days"), tr("ui.guide.days", days=item.legal_days)))
        if item.promised_days is not None:
            promised = (tr("ui.guide.on_the_spot") if item.promised_days == 0
                        else tr("ui.guide.days", days=item.promised_days))
            facts.append((tr("ui.guide.promised_days"), promised))
        facts.append((tr("ui.guide.fee"), self.ui.lt(item.fee)))
        facts.append((tr("ui.guide.collect"), self.ui.lt(item.collect)))
        facts.append((tr("ui.guide.channel"), tr(f"ui.channel.{item.channel}")))
        if item.tongban:
            facts.append((tr("ui.guide.tongban"), tr("ui.guide.tongban_yes")))
        return facts

    def _material(self, n: int, m: Material) -> str:
        tr = self.ui.tr
        theme = self.ui.theme
        parts = [f"[b]{n}. {self.ui.lt(m.name)}[/b]",
                 # no-break spaces keep "原件 × 1" together when the line wraps
                 f"{tr(f'ui.guide.form.{m.form}')}\u00a0×\u00a0{m.count}"]
        marks = []
        if m.deferrable:
            marks.append(f"[color={_hex(theme.colour('primary_text'))}]" +
                         tr("ui.guide.mark.deferrable", days=m.supplement_days or 0) + "[/color]")
        elif not m.required:
            marks.append(tr("ui.guide.mark.optional"))
        text = "    ".join(parts)
        if m.note is not None:
            text += "\n" + self.ui.lt(m.note)
        if marks:
            text += "\n" + "  ".join(marks)
        return text

    def _para(self, box: Any, text: str, size: float, *, bold: bool = False,
              colour: str = "on_surface") -> None:
        palette = self.ui.theme.palette
        hex_colour = getattr(palette, colour)
        box.add_widget(Para(text=text, markup=True, font_size=size, bold=bold,
                            color=rgba(hex_colour)))

    def _reason(self, result: Availability) -> str:
        ui = self.ui
        why = explain(result, self.item, ui.kiosk.site, ui.kiosk.catalog)
        if why is None:
            return ""
        if why.key == "availability.window_only":
            return str(ui.tr("ui.guide.window_only_hint"))
        device = ui.tr(f"device.kind.{why.device_kind}") if why.device_kind else ""
        text = str(ui.tr(why.key, device=device, hall=ui.lt(why.hall) if why.hall else ""))
        # The device's own reason, only when it means something to a citizen (paper out).
        if why.device_reason:
            text += ui.tr("ui.guide.device_reason", reason=ui.tr(why.device_reason))
        return text

    # -- window only: 取号 and 打印告知单 -----------------------------------------------
    def _place_window_buttons(self) -> None:
        """Landscape has width to spare and little height: the buttons stand in the
        action panel beside its text; portrait gives them a row of their own under it."""
        ids = self.ids
        row = ids.action_panel if self.ui.theme.landscape else ids.window_actions
        for button in (ids.print_checklist, ids.take_number):
            if button.parent is not row:
                button.parent.remove_widget(button)
                row.add_widget(button)

    def take_number(self) -> None:
        window = window_for(self.ui.kiosk.site, self.ui.kiosk.catalog, self.item)
        if window is not None:
            self.ui.kiosk.session.touch()
            self.nav.go("queue", window=window.id)

    def print_checklist(self) -> None:
        """Print the 一次性告知书 on the receipt printer (on a worker thread)."""
        kiosk, lang = self.ui.kiosk, self.ui.lang
        data = checklist_input(self.item, kiosk.site, kiosk.catalog, lang, kiosk.clock.now())
        desk = self._desk()
        self.print_note = self.ui.tr("ui.guide.printing")

        def work() -> None:
            try:
                desk.print_checklist(data, lang)
            except KioskError as exc:
                self.nav.bridge.post(self._printed, exc)
            else:
                self.nav.bridge.post(self._printed, None)
        _thread(work)

    def _printed(self, error: KioskError | None) -> None:
        self.print_note = self.ui.tr("ui.guide.printed" if error is None
                                     else "ui.guide.print_failed")

    def _desk(self) -> ServiceDesk:
        """The same desk the service screens use (``kiosk.services.service_desk()``)."""
        desk: ServiceDesk = self.ui.kiosk.services.service_desk()
        return desk

    # -- actions -----------------------------------------------------------------
    def start(self) -> None:
        # Checked again at the press: a device may have failed since the screen was drawn.
        result = self.ui.kiosk.check(self.item)
        if not result.available:
            self.refresh()
            return
        self.ui.kiosk.session.touch()
        self.ui.kiosk.session.data.item_code = self.code
        self.nav.go("journey", code=self.code)


def _thread(work: Any) -> None:
    threading.Thread(target=work, name="guide-task", daemon=True).start()
