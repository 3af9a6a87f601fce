"""The capture and face steps as a citizen sees them, in both orientations: the live
picture large; the pages the material needs; per-page 重拍/删除 that are readable
buttons and work; the face step's heading and prompt never contradict each other."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.scrollview import ScrollView

from kiosk.i18n.translate import Translator
from kiosk.wiring.build import Kiosk
from screens.audit import Audit
from screens.walk import audit_screen
from tests.screens.helpers import ancestors, labels, visible, widgets
from tests.screens.journey.stage import Stage, frame, jpeg

pytestmark = pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)],
                                     ids=["landscape", "portrait"])
ZH = Translator("zh_CN")


def texts(shell: Any) -> str:
    return "\n".join(w.text for w in labels(shell))


def reach(harness: Any, shell: Any, action: str) -> Any:
    """The button for ``action``, scrolled into view if its list scrolls (as a finger would)."""
    b = next(w for w in widgets(shell, ButtonBehavior) if getattr(w, "action", "") == action)
    for parent in ancestors(b):
        if isinstance(parent, ScrollView):
            parent.scroll_to(b, padding=10, animate=False)
            harness.render()
            break
    return b


def test_capture_shows_the_pages_needed_and_per_page_buttons(
        harness: Any, make_kiosk: Callable[..., Kiosk], size: tuple[int, int]) -> None:
    stage = Stage(harness, make_kiosk(), size)
    stage.to_capture()
    view = stage.view("capture")
    view.on_frame(frame(1920, 1080))
    for _ in range(2):
        stage.fire("page_added", data=jpeg(), content_type="image/jpeg")
    shown = texts(stage.shell)
    assert "首页（户主页）" in shown and "本人页" in shown
    # The live picture is the largest thing on the step.
    width, height = size
    assert view.preview.width >= width * 0.5 and view.preview.height >= height * 0.3
    for elderly in (False, True):
        stage.shell.ui.elderly = elderly
        harness.render()
        for action in ("retake:0", "delete:0", "retake:1", "delete:1"):
            b = reach(harness, stage.shell, action)
            assert b.text and visible(b)
            tw, th = b.texture_size
            assert tw <= b.width and th <= b.height, (action, elderly, b.texture_size, b.size)
    harness.press(reach(harness, stage.shell, "delete:0"))
    assert len(stage.j.data.pages["HUKOU-BOOK"]) == 1


def wholly_in_view(widget: Any) -> bool:
    """Inside every scroll view it sits in, not cut by the viewport's edge."""
    if not visible(widget):
        return False
    for parent in ancestors(widget):
        if isinstance(parent, ScrollView):
            _x, y = widget.to_window(*widget.pos)
            _sx, sy = parent.to_window(*parent.pos)
            if y < sy - 1 or y + widget.height > sy + parent.height + 1:
                return False
    return True


@pytest.mark.parametrize("pages", [1, 2])
def test_the_live_picture_and_the_page_buttons_share_the_step_in_every_variant(
        harness: Any, make_kiosk: Callable[..., Kiosk], size: tuple[int, int],
        pages: int) -> None:
    """Long English in large text squeezed the portrait picture to a tenth of the screen,
    and in landscape pushed the pages taken (and their 重拍/删除) out of the step."""
    stage = Stage(harness, make_kiosk(), size)
    stage.to_capture()
    view = stage.view("capture")
    view.on_frame(frame(1920, 1080))
    for _ in range(pages):
        stage.fire("page_added", data=jpeg(), content_type="image/jpeg")
    width, height = size
    landscape = width > height
    # Landscape shows the page just taken; portrait lists the pages from the first.
    shown = pages - 1 if landscape else 0
    audit = Audit()
    for lang in ("zh_CN", "en"):
        stage.shell.ui.lang = lang
        for elderly in (False, True):
            stage.shell.ui.elderly = elderly
            harness.render()
            variant = f"{'landscape' if landscape else 'portrait'}-{lang}-" \
                      f"{'elderly' if elderly else 'standard'}"
            _w, picture = view.preview.norm_image_size
            assert picture >= height * (0.38 if landscape else 0.17), (variant, picture)
            for action in (f"retake:{shown}", f"delete:{shown}"):
                b = next(w for w in widgets(stage.shell, ButtonBehavior)
                         if getattr(w, "action", "") == action)
                assert wholly_in_view(b), (variant, action)
            audit_screen(audit, stage.shell, "capture", variant)
    assert audit.findings == []


def test_face_heading_names_the_step_and_the_prompt_says_what_to_do(
        harness: Any, make_kiosk: Callable[..., Kiosk], size: tuple[int, int]) -> None:
    stage = Stage(harness, make_kiosk(), size)
    stage.to_face()
    view = stage.view("face")
    shown = texts(stage.shell)
    assert ZH.gettext("journey.face.heading") in shown
    assert ZH.gettext("face.challenge.look_at_camera") in shown
    view.on_frame(frame(640, 480), SimpleNamespace(prompt="face.challenge.turn_left",
                                                   face=None))
    harness.render()
    shown = texts(stage.shell)
    assert ZH.gettext("face.challenge.turn_left") in shown
    assert "保持不动" not in shown  # nothing on screen asks to keep still meanwhile
    width, height = size
    assert min(view.preview.norm_image_size) >= min(width, height) * 0.4


def test_page_thumbnails_are_small_and_decoded_once(
        harness: Any, make_kiosk: Callable[..., Kiosk], size: tuple[int, int]) -> None:
    """A document camera's page is megapixels: its thumbnail texture must be a few
    hundred pixels (a full-size texture per page per redraw took hundreds of MB), and a
    redraw of the step reuses it; a page that does not decode still has its buttons."""
    from screens.journey.capture import THUMB_PX, thumbnail
    stage = Stage(harness, make_kiosk(), size)
    stage.to_capture()
    view = stage.view("capture")
    stage.fire("page_added", data=jpeg(3000, 4000), content_type="image/jpeg")
    stage.fire("page_added", data=b"\xff\xd8 not a jpeg", content_type="image/jpeg")

    def thumbs() -> list[Any]:
        from kivy.uix.image import Image
        return [w.texture for w in widgets(stage.shell, Image)
                if w is not view.preview and w.texture is not None]

    (first,) = thumbs()
    assert THUMB_PX // 2 <= max(first.size) <= THUMB_PX, first.size
    assert first.size[1] > first.size[0]  # a portrait page stays portrait
    stage.shell.current.refresh()  # a redraw (a language switch, a device change...)
    harness.render()
    assert thumbs() == [first]
    assert reach(harness, stage.shell, "delete:1").text  # the broken page's buttons
    assert thumbnail(b"not a picture") is None
