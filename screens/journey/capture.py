"""Capture one material's pages: the document camera's live picture, large, with the
page outline and "正面朝上" drawn on it; which pages the material needs (户口簿: 首页,
本人页) and which one to place now; the quality guidance (document.guide.* keys);
the pages taken so far as thumbnails, each with its own 重拍 and 删除; then next."""

from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path
from typing import Any

from kivy.graphics import Color, SmoothLine
from kivy.properties import ListProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from screens.journey.parts import StepView, bgr_texture
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))

#: The page outline drawn on the preview: its height in the picture, and width / height
#: (a portrait page, A4 and the 户口簿 page alike, ≈ 1 : 1.41).
OUTLINE_HEIGHT = 0.86
OUTLINE_ASPECT = 0.71


class PreviewBadge(Label):  # type: ignore[misc]
    """The "正面朝上" note on the live picture (a dark rounded plate, the .kv draws it)."""

    plate = ListProperty([0, 0, 0, 0.6])


#: The longest side of a page's thumbnail texture, in pixels (it is shown a few
#: hundred pixels wide; a document camera's page is thousands).
THUMB_PX = 480


def thumbnail(data: bytes) -> Any:
    """A small BGR texture of a JPEG page, or None when it does not decode. The JPEG is
    decoded at an eighth, quarter or half of its size (libjpeg scales while decoding),
    then shrunk to THUMB_PX: a 12-megapixel page costs a fraction of a megabyte, not
    the 48 MB a full-size texture took at every redraw of the step."""
    import cv2
    import numpy as np
    raw = np.frombuffer(data, np.uint8)
    probe = cv2.imdecode(raw, cv2.IMREAD_REDUCED_COLOR_8)
    if probe is None:
        return None
    # Pick the smallest reduction that still leaves THUMB_PX on the long side.
    for flag, factor in ((cv2.IMREAD_REDUCED_COLOR_8, 8), (cv2.IMREAD_REDUCED_COLOR_4, 4),
                         (cv2.IMREAD_REDUCED_COLOR_2, 2), (cv2.IMREAD_COLOR, 1)):
        if max(probe.shape[:2]) * 8 // factor >= THUMB_PX or factor == 1:
            image = probe if factor == 8 else cv2.imdecode(raw, flag)
            break
    if image is None:
        return None
    long_side = max(image.shape[:2])
    if long_side > THUMB_PX:
        scale = THUMB_PX / long_side
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return bgr_texture(np.ascontiguousarray(image))


class CaptureView(StepView):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.preview = Image(fit_mode="contain")
        self.preview.bind(size=self._draw_outline, pos=self._draw_outline,
                          texture=self._draw_outline)
        self._texture: Any = None
        self.guidance = self.para("", "heading", "danger", True)
        #: index of the page being retaken, or None to add a page
        self.retake: int | None = None
        self.busy = False
        #: the last guidance shown, as (key, arguments): kept across re-renders until the
        #: next capture, and said again in the language the citizen switches to
        self.note: tuple[str, dict[str, Any]] | None = None
        #: thumbnails of the pages shown, by the page's digest: a page is decoded once,
        #: small, not at every redraw and not at the camera's full resolution
        self._thumbs: dict[bytes, Any] = {}

    def render(self, view: dict[str, Any]) -> None:
        """Portrait: the shared column (texts, the preview large, thumbnails, actions).
        Landscape: the preview takes the left of the step at full height; the texts,
        thumbnails and actions stand in a column on the right."""
        t = self.ui.theme
        if not t.landscape:
            super().render({**view, "message": None})  # _texts says it, or the hint does
            return
        self.clear_widgets()
        self.orientation = "horizontal"
        self.spacing = t.gap * 2
        self.add_widget(self._stage_preview())
        side = BoxLayout(orientation="vertical", spacing=t.gap * 0.6, size_hint_x=None,
                         width=t.width * (0.44 if t.elderly else 0.40))
        # The texts and the pages taken scroll together above the actions: long English
        # in large text pushes the pages down, never out of reach.
        sv, column = self.scroll()
        for widget in self._texts(view) + self._page_rows(view):
            column.add_widget(widget)
        if view["pages"]:
            sv.scroll_y = 0  # the page just taken in view, with its 重拍 and 删除
        side.add_widget(sv)
        side.add_widget(self.adopt(self.guidance))
        row = BoxLayout(size_hint_y=None, height=t.target * 1.25, spacing=t.gap)
        for button in self.actions(view):
            button.size_hint_x = 1
            row.add_widget(button)
        side.add_widget(row)
        self.add_widget(side)
        self._show_guidance()

    def fill(self, view: dict[str, Any]) -> None:
        t = self.ui.theme
        # The texts scroll within a fifth of the screen: long English in large text
        # must not squeeze the live picture down to a thumbnail.
        sv, texts = self.scroll()
        for widget in self._texts(view):
            texts.add_widget(widget)
        sv.size_hint_y = None
        cap = t.height * 0.2

        def fit(_grid: Any, height: float) -> None:
            sv.height = min(height, cap)
        texts.bind(height=fit)
        fit(texts, texts.height)
        self.add_widget(sv)
        self.add_widget(self._stage_preview())
        # The pages taken: as tall as their rows, up to about two rows (then they scroll),
        # so the live picture keeps the rest of the height.
        pages = self._pages(view)
        pages.size_hint_y = None
        grid = pages.children[0]
        most = t.target * (2.4 if t.elderly else 2.9)

        def fit_pages(_grid: Any, height: float) -> None:
            pages.height = min(height, most)
        grid.bind(height=fit_pages)
        fit_pages(grid, grid.height)
        self.add_widget(pages)
        self.add_widget(self.adopt(self.guidance))
        self._show_guidance()

    def _show_guidance(self) -> None:
        if self.busy:
            self.guidance.text = self.tr("journey.capture.busy")
        else:
            self.guidance.text = "" if self.note is None else self.tr(self.note[0],
                                                                      **self.note[1])

    def _texts(self, view: dict[str, Any]) -> list[Any]:
        material = view["material"]
        hint = self._hint(material, view["pages"])
        texts = [] if hint else [self.para(self.tr(view["message"]), "heading", bold=True)]
        # Landscape and large text have little height to spare for the live picture: the
        # material's name in the body size (bold), which large text makes big enough.
        t = self.ui.theme
        texts += [self.para(self.tr("journey.capture.material", name=material["name"],
                                    i=view["capture_index"], n=view["capture_total"]),
                            "body" if t.landscape or t.elderly else "heading",
                            "primary", True)]
        if hint:
            texts.append(self.para(hint, "body", "on_background"))
        return texts

    def _hint(self, material: dict[str, Any], pages: list[Any]) -> str:
        """Which pages the material needs, and the one to place now."""
        names: list[str] = material.get("page_names") or []
        if not names:
            return ""
        listed = "、".join(names) if self.ui.lang == "zh_CN" else ", ".join(names)
        text = self.tr("journey.capture.pages_needed", pages=listed)
        index = self.retake if self.retake is not None else len(pages)
        if index < len(names):
            text += "\n" + self.tr("journey.capture.place_now", page=names[index],
                                   i=index + 1, n=len(names))
        return text

    def _stage_preview(self) -> Any:
        box = FloatLayout()
        self.adopt(self.preview)
        self.preview.size_hint = (1, 1)
        self.preview.pos_hint = {"x": 0, "y": 0}
        box.add_widget(self.preview)
        t = self.ui.theme
        # Portrait: the body size, so the note covers less of a picture the texts and
        # the pages share the height with.
        badge = PreviewBadge(text=self.tr("journey.capture.face_up"), bold=True,
                             font_size=t.size("heading" if t.landscape else "body"),
                             color=(1, 1, 1, 1),
                             size_hint=(None, None), pos_hint={"center_x": 0.5, "top": 0.97})
        badge.bind(texture_size=lambda b, s: setattr(b, "size", (s[0] + t.gap * 2,
                                                                s[1] + t.gap)))
        box.add_widget(badge)
        return box

    def _draw_outline(self, *_: Any) -> None:
        """The page outline, centred on the picture (the picture keeps its aspect)."""
        self.preview.canvas.after.clear()
        iw, ih = self.preview.norm_image_size
        if self._texture is None:
            iw, ih = self.preview.size  # before the first frame: outline the whole area
        h = ih * OUTLINE_HEIGHT
        w = min(iw * 0.9, h * OUTLINE_ASPECT)
        x = self.preview.center_x - w / 2
        y = self.preview.center_y - h / 2
        with self.preview.canvas.after:
            Color(*self.ui.theme.colour("accent"))
            SmoothLine(rounded_rectangle=(x, y, w, h, 12), width=3)

    def _pages(self, view: dict[str, Any]) -> Any:
        sv, grid = self.scroll()
        for row in self._page_rows(view):
            grid.add_widget(row)
        return sv

    def _page_rows(self, view: dict[str, Any]) -> list[Any]:
        t = self.ui.theme
        rows: list[Any] = []
        code = view["material"]["code"]
        names: list[str] = view["material"].get("page_names") or []
        kept: dict[bytes, Any] = {}
        for page in view["pages"]:
            i = page["index"]
            thumb = Image(fit_mode="contain")
            try:
                data: bytes | None = self.host.journey.page(code, i)
            except (IndexError, KeyError):
                data = None
            if data is not None:
                key = hashlib.blake2b(data, digest_size=16).digest()
                texture = kept.get(key) or self._thumbs.get(key) or thumbnail(data)
                if texture is not None:  # a page that does not decode still has its buttons
                    kept[key] = thumb.texture = texture
            label = self.tr("journey.capture.page_n", i=i + 1)
            if i < len(names):
                label += self.tr("journey.capture.page_name", name=names[i])
            caption = self.para(label, "body", "on_background", True)
            buttons = [self.button(self.tr("journey.capture.retake"), f"retake:{i}",
                                   partial(self._retake, i), kind="secondary",
                                   height=t.target * 1.1),
                       self.button(self.tr("journey.capture.delete"), f"delete:{i}",
                                   partial(self.host.fire, "page_deleted", index=i),
                                   kind="danger", height=t.target * 1.1)]
            rows.append(self._page_row(thumb, caption, buttons))
        if not view["pages"]:
            rows.append(self.para(self.tr("journey.capture.no_pages"), "body", "muted_bg"))
        self._thumbs = kept  # pages deleted or of another material let go of theirs
        return rows

    def _page_row(self, thumb: Any, caption: Any, buttons: list[Any]) -> Any:
        """One row a page: the thumbnail beside its name over 重拍 and 删除 (each as wide
        as its word), as tall as the name needs and no taller, so the live picture keeps
        the height (portrait) and the texts beside it keep theirs (landscape)."""
        t = self.ui.theme
        button_h = t.target * 1.1
        cell = BoxLayout(size_hint_y=None, spacing=t.gap * 0.6, height=t.target * 1.6)
        thumb.size_hint_x = None
        thumb.width = t.target * 1.1
        cell.add_widget(thumb)
        right = BoxLayout(orientation="vertical", spacing=t.gap * 0.4)
        caption.size_hint_y = None

        def wrap(c: Any, w: float) -> None:
            c.text_size = (w, None)

        def grow(c: Any, size: Any) -> None:
            c.height = size[1]
            cell.height = max(t.target * 1.3, size[1] + t.gap * 0.4 + button_h)
        caption.bind(width=wrap, texture_size=grow)
        right.add_widget(caption)
        row = BoxLayout(size_hint_y=None, height=button_h, spacing=t.gap)
        for b in buttons:
            # As wide as the word needs (the label's own font measures it), not the
            # three targets a button in the action row gets.
            b.width = max(t.target * 2, b._label.get_extents(b.text)[0] + t.gap * 3)
            row.add_widget(b)
        row.add_widget(Widget())
        right.add_widget(row)
        cell.add_widget(right)
        return cell

    def _retake(self, index: int) -> None:
        self.retake = index
        self.note = ("journey.capture.retaking", {"n": index + 1})
        self._show_guidance()

    def capture(self) -> None:
        self.busy = True
        self.guidance.text = self.tr("journey.capture.busy")
        self.host.capture_page()

    def on_frame(self, image: Any, extra: Any = None) -> None:
        first = self._texture is None
        self._texture = bgr_texture(image, self._texture)
        self.preview.texture = self._texture
        if first:
            self._draw_outline()

    def on_page(self, data: bytes | None, keys: tuple[str, ...]) -> None:
        self.busy = False
        if data is None or keys:
            # What to fix (move the page into view, avoid glare ...): no page kept.
            self.note = (keys[0] if keys else "journey.capture.failed", {})
            self._show_guidance()
            return
        self.note = None
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
