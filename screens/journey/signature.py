"""Sign with a finger: strokes drawn on a canvas; OK turns them into PNG bytes
(drawn with Pillow from the recorded points, so the bytes do not depend on the GPU)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from kivy.graphics import Color, Line
from kivy.uix.widget import Widget
from PIL import Image, ImageDraw

from screens.journey.parts import StepView
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))


class SignaturePad(Widget):  # type: ignore[misc]
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.strokes: list[list[tuple[float, float]]] = []

    def on_touch_down(self, touch: Any) -> bool:
        if not self.collide_point(*touch.pos):
            return False
        touch.grab(self)
        self.strokes.append([self._local(touch)])
        with self.canvas:
            Color(0.07, 0.09, 0.15, 1)
            touch.ud["line"] = Line(points=list(touch.pos), width=3)
        return True

    def on_touch_move(self, touch: Any) -> bool:
        if touch.grab_current is not self:
            return False
        self.strokes[-1].append(self._local(touch))
        touch.ud["line"].points += list(touch.pos)
        return True

    def on_touch_up(self, touch: Any) -> bool:
        if touch.grab_current is self:
            touch.ungrab(self)
            return True
        return False

    def _local(self, touch: Any) -> tuple[float, float]:
        return (touch.x - self.x, self.height - (touch.y - self.y))

    def clear(self) -> None:
        self.strokes.clear()
        self.canvas.clear()

    def png(self) -> bytes:
        image = Image.new("L", (max(1, int(self.width)), max(1, int(self.height))), 255)
        draw = ImageDraw.Draw(image)
        for stroke in self.strokes:
            if len(stroke) == 1:
                x, y = stroke[0]
                draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=0)
            else:
                draw.line(stroke, fill=0, width=4, joint="curve")
        out = BytesIO()
        image.save(out, "PNG", optimize=True)
        return out.getvalue()


class SignatureView(StepView):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: kept across re-renders (a language switch must not wipe a half-drawn signature)
        self.pad = SignaturePad()

    def fill(self, view: dict[str, Any]) -> None:
        self.add_widget(self.adopt(self.pad))
        if view.get("signed"):
            self.add_widget(self.para(self.tr("journey.signature.signed"), "body", "success"))

    def actions(self, view: dict[str, Any]) -> list[Any]:
        return [self.button(self.tr("journey.signature.clear"), "clear", self.pad.clear,
                            kind="secondary"),
                self.button(self.tr("journey.signature.ok"), "sign", self.sign)]

    def sign(self) -> None:
        if self.pad.strokes:
            self.host.fire("signed", png=self.pad.png())
            self.pad.clear()
