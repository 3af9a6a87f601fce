"""Face verification: the live picture of the face camera, large, with a guide oval
drawn from the start (and the face box once a face is found); one instruction at a
time: the heading names the step (人脸核验), the prompt under it says what to do now
(the verifier's guidance, vision.po keys, or the head-turn challenge); attempts left;
and the fallback when the face cannot be verified (staff check or the window)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.graphics import Color, Line, SmoothEllipse, SmoothLine
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image

from screens.journey.parts import StepView, bgr_texture
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))

#: The prompt before the verifier's first word: look at the camera.
FIRST_PROMPT = "face.challenge.look_at_camera"
#: The guide oval in the picture: width and height as parts of the picture's height.
OVAL = (0.5, 0.68)


class FaceView(StepView):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.preview = Image(fit_mode="contain")
        self._texture: Any = None
        self._box: tuple[float, float, float, float] | None = None
        self._frame_size = (1, 1)
        self.preview.bind(size=self._draw_box, pos=self._draw_box)
        self.prompt_key = FIRST_PROMPT
        self.guidance = self.para("", "title", "primary", True, halign="center")
        self.attempts = self.para("", "body", "muted_bg", halign="center")

    def render(self, view: dict[str, Any]) -> None:
        # The step's own message ("look at the camera and keep still") would contradict a
        # head-turn prompt: the heading names the step, the prompt alone says what to do.
        t = self.ui.theme
        self.clear_widgets()
        self.spacing = t.gap
        self.orientation = "horizontal" if t.landscape else "vertical"
        column = self
        if t.landscape:
            self.add_widget(self.adopt(self.preview))
            column = BoxLayout(orientation="vertical", spacing=t.gap, size_hint_x=None,
                               width=t.width * (0.36 if t.elderly else 0.32))
            self.add_widget(column)
        column.add_widget(self.para(self.tr("journey.face.heading"), "heading", "primary",
                                    True, halign="center" if not t.landscape else "left"))
        if not t.landscape:
            column.add_widget(self.adopt(self.preview))
        self.fill_into(column, view)
        if t.landscape:
            column.add_widget(BoxLayout())  # the texts stand at the top of their column

    def fill(self, view: dict[str, Any]) -> None:
        self.fill_into(self, view)

    def fill_into(self, box: Any, view: dict[str, Any]) -> None:
        t = self.ui.theme
        self.guidance.text = self.tr(self.prompt_key)
        self.guidance.halign = "left" if t.landscape else "center"
        box.add_widget(self.adopt(self.guidance))
        n = view["attempts_left"]
        self.attempts.text = self.tr("journey.face.attempt_left_one" if n == 1
                                     else "journey.face.attempts_left", n=n)
        self.attempts.halign = "left" if t.landscape else "center"
        if view.get("notice"):
            box.add_widget(self.para(self.tr(view["notice"]), "body", "danger", True))
        box.add_widget(self.adopt(self.attempts))

    def on_frame(self, image: Any, extra: Any = None) -> None:
        self._texture = bgr_texture(image, self._texture)
        self.preview.texture = self._texture
        self._frame_size = (image.shape[1], image.shape[0])
        step = extra
        if step is not None:
            self.prompt_key = step.prompt
            self.guidance.text = self.tr(step.prompt)
            face = step.face
            self._box = (face.x, face.y, face.w, face.h) if face is not None else None
        self._draw_box()

    def _draw_box(self, *_: Any) -> None:
        self.preview.canvas.after.clear()
        # The picture is fitted into the widget keeping its aspect (fit_mode contain);
        # before the first frame the oval stands in the middle of the whole area.
        iw, ih = self.preview.norm_image_size if self._texture is not None \
            else self.preview.size
        ox = self.preview.center_x - iw / 2
        oy = self.preview.center_y - ih / 2
        theme = self.ui.theme
        ow, oh = ih * OVAL[0], ih * OVAL[1]
        with self.preview.canvas.after:
            # The guide oval: where to put the face; drawn until the face is found.
            Color(*theme.colour("accent", 0.9 if self._box is None else 0.45))
            SmoothLine(ellipse=(self.preview.center_x - ow / 2, self.preview.center_y - oh / 2,
                          ow, oh), width=4)
            if self._box is None:
                Color(*theme.colour("accent", 0.12))
                SmoothEllipse(pos=(self.preview.center_x - ow / 2, self.preview.center_y - oh / 2),
                        size=(ow, oh))
                return
            fw, fh = self._frame_size
            x, y, w, h = self._box
            sx, sy = iw / fw, ih / fh
            Color(*theme.colour("accent"))
            Line(rectangle=(ox + x * sx, oy + ih - (y + h) * sy, w * sx, h * sy), width=3)


class FallbackView(StepView):
    def fill(self, view: dict[str, Any]) -> None:
        sv, texts = self.scroll()  # large text on a landscape screen needs the room
        if view.get("notice"):
            texts.add_widget(self.para(self.tr(view["notice"]), "body", "danger"))
        texts.add_widget(self.para(self.tr("journey.face.fallback_help"), "body"))
        self.add_widget(sv)

    def actions(self, view: dict[str, Any]) -> list[Any]:
        buttons = [self.trigger_button("journey.face.try_card_again", "back", view,
                                       kind="secondary")]
        if view.get("staff_allowed"):
            buttons.append(self.button(self.tr("journey.face.staff_checked"), "staff_verified",
                                       lambda: self.host.fire("staff_verified",
                                                              staff="hall-staff")))
        return buttons
