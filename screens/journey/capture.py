"""Capture one material's pages: the document camera's live picture, Capture, the
quality guidance (document.guide.* keys), page thumbnails with retake and delete,
add another page, next."""

from __future__ import annotations

from functools import partial
from io import BytesIO
from pathlib import Path
from typing import Any

from kivy.core.image import Image as CoreImage
from kivy.uix.image import Image

from screens.journey.parts import StepView, bgr_texture
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))


class CaptureView(StepView):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.preview = Image(fit_mode="contain")
        self._texture: Any = None
        self.guidance = self.para("", "heading", "danger", True)
        #: index of the page being retaken, or None to add a page
        self.retake: int | None = None
        self.busy = False
        #: the last guidance shown (kept across re-renders until the next capture)
        self.note = ""

    def fill(self, view: dict[str, Any]) -> None:
        t = self.ui.theme
        material = view["material"]
        self.add_widget(self.para(self.tr("journey.capture.material", name=material["name"],
                                          i=view["capture_index"], n=view["capture_total"]),
                                  "heading", "primary", True))
        stage = self.row(height=0)
        stage.size_hint_y = 1
        stage.add_widget(self.adopt(self.preview))
        pages = self._pages(view)
        stage.add_widget(pages)
        if not t.landscape:
            stage.orientation = "vertical"
            pages.size_hint = (1, 0.35)
        self.add_widget(stage)
        self.add_widget(self.adopt(self.guidance))
        self.guidance.text = self.tr("journey.capture.busy") if self.busy else self.note

    def _pages(self, view: dict[str, Any]) -> Any:
        t = self.ui.theme
        sv, grid = self.scroll(cols=1 if t.landscape else 3)
        sv.size_hint_x = 0.32
        code = view["material"]["code"]
        for page in view["pages"]:
            i = page["index"]
            cell = self.row(height=t.target * 3.4)
            cell.orientation = "vertical"
            thumb = Image(fit_mode="contain")
            try:
                data = self.host.journey.page(code, i)
                thumb.texture = CoreImage(BytesIO(data), ext="jpg").texture
            except (IndexError, KeyError, OSError, ValueError):
                pass  # a page that does not decode still shows its buttons
            cell.add_widget(thumb)
            buttons = self.row(height=t.target)
            buttons.add_widget(self.button(self.tr("journey.capture.retake"), f"retake:{i}",
                                           partial(self._retake, i), kind="secondary",
                                           width=t.target * 2, font="small"))
            buttons.add_widget(self.button(self.tr("journey.capture.delete"), f"delete:{i}",
                                           partial(self.host.fire, "page_deleted", index=i),
                                           kind="danger", width=t.target * 2, font="small"))
            cell.add_widget(buttons)
            grid.add_widget(cell)
        if not view["pages"]:
            grid.add_widget(self.para(self.tr("journey.capture.no_pages"), "small", "muted_bg"))
        return sv

    def _retake(self, index: int) -> None:
        self.retake = index
        self.note = self.guidance.text = self.tr("journey.capture.retaking", n=index + 1)

    def capture(self) -> None:
        self.busy = True
        self.guidance.text = self.tr("journey.capture.busy")
        self.host.capture_page()

    def on_frame(self, image: Any, extra: Any = None) -> None:
        self._texture = bgr_texture(image, self._texture)
        self.preview.texture = self._texture

    def on_page(self, data: bytes | None, keys: tuple[str, ...]) -> None:
        self.busy = False
        if data is None or keys:
            # What to fix (move the page into view, avoid glare ...): no page kept.
            self.note = self.guidance.text = self.tr(keys[0]) if keys else self.tr(
                "journey.capture.failed")
            return
        self.note = ""
        if self.retake is not None:
            index, self.retake = self.retake, None
            self.host.fire("page_retaken", index=index, data=data)
        else:
            self.host.fire("page_added", data=data, content_type="image/jpeg")

    def actions(self, view: dict[str, Any]) -> list[Any]:
        label = "journey.capture.capture" if not view["pages"] else "journey.capture.add_page"
        return [self.button(self.tr(label), "capture", self.capture,
                            kind="secondary" if view["pages"] else "primary"),
                self.trigger_button("journey.next", "next", view)]
