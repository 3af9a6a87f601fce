"""Sending and the receipt: progress while the case goes out; then the receipt is
printed, its QR code is shown on screen too, reprint when the printer failed, and
a "forwarded" note when the back office was not reachable (the case is queued)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.graphics.texture import Texture
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
    def fill(self, view: dict[str, Any]) -> None:
        t = self.ui.theme
        main = self.row(height=0)
        main.size_hint_y = 1
        main.orientation = "horizontal" if t.landscape else "vertical"
        sv, grid = self.scroll()
        if view.get("forwarded_message"):
            grid.add_widget(self.para(self.tr(view["forwarded_message"]), "heading",
                                      "primary", True))
        if view.get("error_key") and view["state"] == "reprint":
            grid.add_widget(self.para(self.tr(view["error_key"]), "heading", "danger", True))
        for i, ref in enumerate(view["kiosk_refs"]):
            number = view["case_numbers"][i] if i < len(view["case_numbers"]) else None
            grid.add_widget(self.para(self.tr("journey.receipt.ref", ref=ref), "body", bold=True))
            if number:
                grid.add_widget(self.para(self.tr("journey.receipt.case_number", number=number),
                                          "body"))
            if i < len(view.get("when_where", [])):
                ww = view["when_where"][i]
                key = "journey.receipt.when_where" if ww["promised_date"] else \
                    "journey.receipt.where"
                grid.add_widget(self.para(self.tr(key, date=ww["promised_date"] or "",
                                                  collect=ww["collection"]), "body"))
        for owed in view["owed"]:
            grid.add_widget(self.para(self.tr("journey.receipt.owed", name=owed["name"],
                                              date=owed["deadline"]), "body", "danger"))
        grid.add_widget(self.para(self.tr("journey.receipt.take"), "body", "muted_bg"))
        main.add_widget(sv)
        if view.get("qr"):
            qr = Image(texture=qr_texture(str(view["qr"])), fit_mode="contain")
            qr.qr_text = view["qr"]
            main.add_widget(qr)
        self.add_widget(main)

    def actions(self, view: dict[str, Any]) -> list[Any]:
        if view["state"] == "reprint":
            return [self.trigger_button("journey.receipt.finish", "next", view,
                                        kind="secondary"),
                    self.trigger_button("journey.receipt.reprint", "reprint", view)]
        if view["state"] == "done":
            return [self.button(self.tr("journey.receipt.finish"), "finish",
                                self.host.nav.home)]
        return []
