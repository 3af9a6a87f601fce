"""Face verification: the live picture of the face camera with the face box, the
verifier's guidance (vision.po keys), the head-turn prompt, attempts left; and the
fallback when the face cannot be verified (staff check or the window)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.graphics import Color, Line
from kivy.uix.image import Image

from screens.journey.parts import StepView, bgr_texture
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))


class FaceView(StepView):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.preview = Image(fit_mode="contain")
        self._texture: Any = None
        self._box: tuple[float, float, float, float] | None = None
        self._frame_size = (1, 1)
        self.preview.bind(size=self._draw_box, pos=self._draw_box)
        self.guidance = self.para("", "title", "primary", True, halign="center")
        self.attempts = self.para("", "body", "muted_bg", halign="center")

    def fill(self, view: dict[str, Any]) -> None:
        self.add_widget(self.adopt(self.preview))
        self.add_widget(self.adopt(self.guidance))
        self.attempts.text = self.tr("journey.face.attempts_left", n=view["attempts_left"])
        if view.get("notice"):
            self.add_widget(self.para(self.tr(view["notice"]), "body", "danger", True))
        self.add_widget(self.adopt(self.attempts))

    def on_frame(self, image: Any, extra: Any = None) -> None:
        self._texture = bgr_texture(image, self._texture)
        self.preview.texture = self._texture
        self._frame_size = (image.shape[1], image.shape[0])
        step = extra
        if step is not None:
            self.guidance.text = self.tr(step.prompt)
            face = step.face
            self._box = (face.x, face.y, face.w, face.h) if face is not None else None
        self._draw_box()

    def _draw_box(self, *_: Any) -> None:
        self.preview.canvas.after.clear()
        if self._box is None or self._texture is None:
            return
        # The picture is fitted into the widget keeping its aspect (fit_mode contain).
        fw, fh = self._frame_size
        iw, ih = self.preview.norm_image_size
        ox = self.preview.center_x - iw / 2
        oy = self.preview.center_y - ih / 2
        x, y, w, h = self._box
        sx, sy = iw / fw, ih / fh
        with self.preview.canvas.after:
            Color(*self.ui.theme.colour("accent"))
            Line(rectangle=(ox + x * sx, oy + ih - (y + h) * sy, w * sx, h * sy), width=3)


class FallbackView(StepView):
    def fill(self, view: dict[str, Any]) -> None:
        if view.get("notice"):
            self.add_widget(self.para(self.tr(view["notice"]), "body", "danger"))
        self.add_widget(self.para(self.tr("journey.face.fallback_help"), "body"))

    def actions(self, view: dict[str, Any]) -> list[Any]:
        buttons = [self.trigger_button("journey.face.try_card_again", "back", view,
                                       kind="secondary")]
        if view.get("staff_allowed"):
            buttons.append(self.button(self.tr("journey.face.staff_checked"), "staff_verified",
                                       lambda: self.host.fire("staff_verified",
                                                              staff="hall-staff")))
        return buttons
