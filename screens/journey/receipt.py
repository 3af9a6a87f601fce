"""Sending and the receipt: progress while the case goes out; then the receipt is
printed, its QR code is shown on screen too, reprint when the printer failed, and
a "forwarded" note when the back office was not reachable (the case is queued)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.graphics.texture import Texture
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image

from screens.journey.parts import StepView
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))


class ProgressView(StepView):
    def fill(self, view: dict[str, Any]) -> None:
        self.add_widget(self.para(self.tr("journey.submit.wait"), "body", "muted_bg"))


def qr_texture(text: str) -> Texture:
    """The QR code of ``text`` as a texture (OpenCV's encoder; black on white)."""
    import cv2
    import numpy as np
    matrix = cv2.QRCodeEncoder.create().encode(text)
    module = np.asarray(matrix, np.uint8)
    scale = 8
    image = np.kron(module, np.ones((scale, scale), np.uint8))
    image = np.pad(image, 4 * scale, constant_values=255)
    rgb = np.repeat(image[:, :, None], 3, axis=2)
    texture = Texture.create(size=(rgb.shape[1], rgb.shape[0]), colorfmt="rgb")
    texture.mag_filter = "nearest"
    texture.flip_vertical()
    texture.blit_buffer(np.ascontiguousarray(rgb).tobytes(), colorfmt="rgb",
                        bufferfmt="ubyte")
    return texture


class ReceiptView(StepView):
    """The receipt on screen: 受理编号 (the paper's term), 办件编号, what is owed and by
    when, the promised date and how to collect, and the QR code large beside them.

    Once the case is accepted there is no way back and nothing to cancel: the journey
    host hides 返回 and 取消办理; this view offers 完成 (and 重新打印 while the printer
    failed); the shell keeps 首页."""

    def render(self, view: dict[str, Any]) -> None:
        """Landscape: the QR code takes a column of the step's full height on the right;
        the message, the details and the actions stand on its left."""
        t = self.ui.theme
        if not t.landscape or not view.get("qr"):
            super().render(view)
            return
        self.clear_widgets()
        self.orientation = "horizontal"
        self.spacing = t.gap * 2
        left = BoxLayout(orientation="vertical", spacing=t.gap)
        # The message scrolls with the details: a long one (elderly, English) must not
        # leave the reference no room.
        left.add_widget(self._details(view, message=view.get("message")))
        row = BoxLayout(size_hint_y=None, height=t.target * 1.25, spacing=t.gap)
        row.add_widget(BoxLayout())
        for button in self.actions(view):
            row.add_widget(button)
        left.add_widget(row)
        self.add_widget(left)
        self.add_widget(self._qr(str(view["qr"])))

    def fill(self, view: dict[str, Any]) -> None:
        self.add_widget(self._details(view))
        if view.get("qr"):
            self.add_widget(self._qr(str(view["qr"])))

    def _details(self, view: dict[str, Any], message: str | None = None) -> Any:
        t = self.ui.theme
        sv, grid = self.scroll()
        grid.spacing = t.gap * 0.6
        if message:
            grid.add_widget(self.para(self.tr(message), "heading", bold=True))
        if view.get("forwarded_message"):
            grid.add_widget(self.para(self.tr(view["forwarded_message"]), "heading",
                                      "primary", True))
        if view.get("error_key") and view["state"] == "reprint":
            grid.add_widget(self.para(self.tr(view["error_key"]), "heading", "danger", True))
        for i, ref in enumerate(view["kiosk_refs"]):
            number = view["case_numbers"][i] if i < len(view["case_numbers"]) else None
            ref_para = self.para(self.tr("journey.receipt.ref", ref=ref), "heading", bold=True)
            ref_para.kiosk_ref = ref
            grid.add_widget(ref_para)
            if number:
                grid.add_widget(self.para(self.tr("journey.receipt.case_number", number=number),
                                          "body"))
            if i < len(view.get("when_where", [])):
                # Two lines per case: 承诺办结 and 领取方式.
                for line in self._when_where(view["when_where"][i]):
                    grid.add_widget(self.para(line, "body"))
        for owed in view["owed"]:
            line = self.para(self.tr("journey.receipt.owed", name=owed["name"],
                                     date=owed["deadline"]), "body", "danger")
            line.deadline = owed["deadline"]
            grid.add_widget(line)
        grid.add_widget(self.para(self.tr("journey.receipt.take"), "body", "muted_bg"))
        return sv

    def _when_where(self, ww: dict[str, Any]) -> list[str]:
        """承诺办结 (the date; the time limit when no date can be counted) and 领取方式."""
        lines = []
        if ww.get("promised_date"):
            lines.append(str(self.tr("journey.receipt.promised", value=ww["promised_date"])))
        elif ww.get("promised_days"):
            within = self.tr("journey.receipt.within", days=ww["promised_days"])
            lines.append(str(self.tr("journey.receipt.promised", value=within)))
        if ww.get("collection"):
            lines.append(str(self.tr("journey.receipt.collect", value=ww["collection"])))
        return lines

    def _qr(self, text: str) -> Any:
        """The QR code as large as the step allows, its caption under it."""
        t = self.ui.theme
        qr = Image(texture=qr_texture(text), fit_mode="contain")
        qr.qr_text = text
        caption = self.para(self.tr("journey.receipt.scan_qr"), "body", "muted_bg",
                            halign="center")
        if t.landscape:
            box = BoxLayout(orientation="vertical", spacing=t.gap * 0.5, size_hint_x=None,
                            width=t.width * 0.3)
        else:
            side = t.width * 0.4
            qr.size_hint_y = None
            qr.height = side
            box = BoxLayout(orientation="vertical", spacing=t.gap * 0.5, size_hint_y=None)
            box.bind(minimum_height=box.setter("height"))
        box.add_widget(qr)
        box.add_widget(caption)
        return box

    def actions(self, view: dict[str, Any]) -> list[Any]:
        if view["state"] == "reprint":
            return [self.trigger_button("journey.receipt.finish", "next", view,
                                        kind="secondary"),
                    self.trigger_button("journey.receipt.reprint", "reprint", view)]
        if view["state"] == "done":
            return [self.button(self.tr("journey.receipt.finish"), "finish",
                                self.host.nav.home)]
        return []
