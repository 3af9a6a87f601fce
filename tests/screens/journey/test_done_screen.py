"""The receipt and done screens, touched like a citizen would: once the case is accepted
there is no 返回 and no 取消办理; the done screen offers 完成 and 首页 only, shows the
QR code for a short hold, and says 受理编号 as the paper does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from kivy.uix.image import Image

from kiosk.i18n.translate import Translator
from kiosk.wiring.build import Kiosk
from screens.journey.host import RECEIPT_HOLD_S
from tests.screens.helpers import buttons, labels, visible, widgets
from tests.screens.journey.stage import Stage

REF = "XD-261122-0042-7"

pytestmark = pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)],
                                     ids=["landscape", "portrait"])


def actions(shell: Any) -> set[str]:
    """Where a citizen can go from here: the meaning of every visible, enabled button
    (the header's language and 长辈版 switches change the look, 重听 says the prompt
    again and 呼叫工作人员 brings someone here: none of them changes the place)."""
    ids = shell.ids
    named = {ids.home.text: "home", ids.back.text: "back"}
    looks = {ids.lang_toggle.text, ids.elderly_toggle.text}
    return {named.get(b.text) or getattr(b, "action", None) or b.text
            for b in buttons(shell)
            if b.text not in looks
            and getattr(b, "action", None) not in ("replay", "call_staff")}


def done(harness: Any, make_kiosk: Callable[..., Kiosk], size: tuple[int, int]) -> Stage:
    stage = Stage(harness, make_kiosk(), size)
    stage.to_printing(refs=(REF,))
    stage.j.fire("printed")  # the receipt is out: the journey ends, the session too
    harness.render()
    return stage


def test_done_screen_offers_only_finish_and_home(harness: Any, make_kiosk: Callable[..., Kiosk],
                                                 size: tuple[int, int], shot: Any) -> None:
    stage = done(harness, make_kiosk, size)
    assert stage.shell.sm.current == "journey"
    assert not stage.kiosk.session.active  # ended and wiped: the screen keeps no person
    picture = shot("done")
    assert actions(stage.shell) == {"finish", "home"}
    link = f"https://q.example/q/{REF}?t=Tok3n"
    qr = [w for w in widgets(stage.shell, Image) if getattr(w, "qr_text", None)]
    assert qr and visible(qr[0]) and qr[0].qr_text == link
    # what a phone reads off the screen: the receipt's progress link, token included
    import cv2
    assert cv2.QRCodeDetector().detectAndDecode(cv2.imread(str(picture)))[0] == link
    assert min(qr[0].norm_image_size) >= 240  # ≈ 6 cm on a 21" kiosk screen: a phone reads it
    harness.press(next(b for b in buttons(stage.shell) if getattr(b, "action", "") == "finish"))
    assert stage.shell.sm.current == "home"


def test_the_done_screen_gives_way_to_home_after_its_hold(
        harness: Any, make_kiosk: Callable[..., Kiosk], size: tuple[int, int]) -> None:
    stage = done(harness, make_kiosk, size)
    clock = stage.kiosk.clock
    clock.advance(RECEIPT_HOLD_S - 1)  # type: ignore[attr-defined]
    stage.shell.tick()
    assert stage.shell.sm.current == "journey"
    clock.advance(2)  # type: ignore[attr-defined]
    stage.shell.tick()
    harness.render()
    assert stage.shell.sm.current == "home"
    assert stage.shell.ui.lang == stage.kiosk.site.default_language


def test_no_back_or_cancel_once_the_case_is_accepted(
        harness: Any, make_kiosk: Callable[..., Kiosk], size: tuple[int, int]) -> None:
    stage = Stage(harness, make_kiosk(), size)
    stage.to_printing(refs=(REF,))
    assert "back" not in actions(stage.shell)
    assert "取消办理" not in {b.text for b in buttons(stage.shell)}
    stage.fire("print_failed", error=None)
    assert stage.j.state == "reprint"
    assert actions(stage.shell) == {"next", "reprint", "home"}


def test_the_screen_says_the_papers_term_for_the_reference(
        harness: Any, make_kiosk: Callable[..., Kiosk], size: tuple[int, int]) -> None:
    stage = done(harness, make_kiosk, size)
    for lang in ("zh_CN", "en"):
        stage.shell.ui.lang = lang
        harness.render()
        term = Translator(lang).gettext("receipt.label.kiosk_ref")
        lines = [w.text for w in labels(stage.shell) if REF in w.text]
        assert lines and all(line.startswith(term) for line in lines), (lang, lines)


def test_the_done_screen_says_when_and_how_to_collect(
        harness: Any, make_kiosk: Callable[..., Kiosk], size: tuple[int, int]) -> None:
    # No promised date could be counted (the outcome carries none): the time limit is
    # said instead, and the collection method under it, also after the session is wiped.
    stage = done(harness, make_kiosk, size)
    assert not stage.kiosk.session.active
    item = stage.kiosk.catalog.item(stage.j.plan.items[0].code)
    assert item.promised_days and item.collect.zh_CN
    texts = [w.text for w in labels(stage.shell)]
    assert f"承诺办结：受理之日起{item.promised_days}个工作日内" in texts
    assert f"领取方式：{item.collect.zh_CN}" in texts


def test_the_done_screen_says_the_promised_date_when_one_was_counted(
        harness: Any, make_kiosk: Callable[..., Kiosk], size: tuple[int, int], shot: Any) -> None:
    stage = Stage(harness, make_kiosk(), size)
    stage.to_printing(refs=(REF,), promised=(date(2026, 12, 9),))
    stage.j.fire("printed")
    item = stage.kiosk.catalog.item(stage.j.plan.items[0].code)
    for lang, promised, collect in (("zh_CN", "承诺办结：2026-12-09", "领取方式："),
                                    ("en", "Promised by: 2026-12-09", "Collection: ")):
        stage.shell.ui.lang = lang
        harness.render()
        texts = [w.text for w in labels(stage.shell) if visible(w)]
        assert promised in texts, (lang, texts)
        assert f"{collect}{item.collect.get(lang)}" in texts, (lang, texts)
        assert not any("工作日内" in t or "working days" in t for t in texts)
        shot(f"done-promised-{lang}")
