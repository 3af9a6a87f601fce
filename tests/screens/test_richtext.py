"""Labels draw every character with a font that has it and break lines by 禁则.

Rendered with Kivy (real textures in the offscreen window): a rare name character
must differ from the .notdef box of the font that draws it, for a sample of every
CJK block (the full cmap coverage is checked in tests/kiosk/test_font_chain.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.i18n.linebreak import NO_LINE_END, NO_LINE_START
from tests.kiosk.cjk_blocks import BLOCKS, MUST_COVER

NOWHERE = "\U0003fffd"  # no font has it: every font draws its .notdef box
SAMPLE = 400  # code points per block on screen (each is one texture)
HANA_A = "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf"


@pytest.fixture(scope="module")
def kivy(harness: Any) -> Any:
    from screens.richtext import FallbackText
    assert FallbackText.shaper is not None  # register_fonts installed the chain
    return FallbackText.shaper


def _pixels(text: str, font: str | None = None, **kw: Any) -> bytes:
    from screens.widgets import Para
    label = Para(text=text, font_size=40, **kw)
    if font is not None:
        label.font_name = font
    label.texture_update()
    return bytes(label.texture.pixels)


def _core_pixels(text: str, font: str) -> bytes:
    from kivy.core.text import Label as CoreLabel
    label = CoreLabel(text=text, font_name=font, font_size=40)
    label.refresh()
    return bytes(label.texture.pixels)


def test_a_rare_name_draws_with_the_font_that_has_it(kivy: Any) -> None:
    from screens.widgets import Para
    label = Para(text="王𪚥")
    label.texture_update()
    noto = str(kivy.chain.faces[0].path)
    assert label.font_runs == [(noto, "王"), (HANA_A, "𪚥")]
    # Without the chain (a bare Kivy label in Noto) 𪚥 is the .notdef box; with it, not.
    box = _core_pixels(NOWHERE, noto)
    assert _core_pixels("𪚥", noto) == box
    assert _pixels("𪚥") != box


def test_a_surrogate_pair_from_the_card_reader_is_one_character(kivy: Any) -> None:
    from screens.widgets import Para
    label = Para(text="王\ud869\udea5")
    label.texture_update()
    assert [run for _, run in label.font_runs] == ["王", "𪚥"]


def test_typed_markup_is_shown_as_typed(kivy: Any) -> None:
    from screens.widgets import Para
    label = Para(text="[b]王[/b]&amp;", width=1000)
    label.texture_update()
    assert "".join(run for _, run in label.font_runs) == "[b]王[/b]&amp;"
    plain = Para(text="王", bold=False)
    plain.texture_update()
    assert label.texture_size[0] > 3 * plain.texture_size[0]  # the brackets are drawn


def test_a_kv_label_is_a_fallback_label(kivy: Any) -> None:
    from kivy.lang import Builder
    label = Builder.load_string("Label:\n    text: '王𪚥'\n")
    label.texture_update()
    assert [run for _, run in label.font_runs] == ["王", "𪚥"]


@pytest.mark.parametrize("block", list(BLOCKS))
def test_every_block_renders_glyphs_on_screen(kivy: Any, block: str) -> None:
    first, last = BLOCKS[block]
    chain = kivy.chain
    step = max(1, (last - first + 1) // SAMPLE)
    boxes: dict[int, bytes] = {}
    drawn = covered = 0
    bad = []
    sample = range(first, last + 1, step)
    for cp in sample:
        face = chain.face_for(chr(cp))
        if face is None:
            continue
        covered += 1
        if face not in boxes:
            boxes[face] = _core_pixels(NOWHERE, str(chain.faces[face].path))
        if _pixels(chr(cp)) != boxes[face]:
            drawn += 1
        else:
            bad.append(f"U+{cp:04X}")
    print(f"\nscreen {block}: {drawn}/{len(sample)} sampled code points drawn")
    assert not bad
    if block in MUST_COVER:
        assert covered == len(sample)


TEXT = "本事项需要提交居民身份证、户口簿（首页及本人页）和结婚证，材料齐全的当场办结。"


def _lines(label: Any) -> list[str]:
    return ["".join(w.text for w in line.words) for line in label._label._cached_lines]


@pytest.mark.parametrize("width", [235, 361, 424, 515, 571])
def test_wrapped_chinese_keeps_punctuation_in_place(kivy: Any, width: int) -> None:
    from kivy.uix.label import Label

    from screens.widgets import Para
    # Kivy alone starts a line with "，" / "、" / "。" or ends one with "（" at these widths.
    bare = Label(text=TEXT, font_size=30, text_size=(width, None))
    bare.texture_update()
    assert _broken(_lines(bare))
    label = Para(text=TEXT, font_size=30, width=width)
    label.texture_update()
    lines = _lines(label)
    assert "".join(lines) == TEXT
    assert not _broken(lines), lines
    assert label.texture_size[0] <= width


def _broken(lines: list[str]) -> list[str]:
    return [line for i, line in enumerate(lines) if line and (
        (i > 0 and line[0] in NO_LINE_START) or (i < len(lines) - 1 and line[-1] in NO_LINE_END))]


def test_buttons_and_tiles_break_by_the_rules_too(kivy: Any) -> None:
    from screens.widgets import KButton, Tile
    button = KButton(text=TEXT, font_size=30, width=251)
    button.texture_update()
    assert not _broken(_lines(button))
    tile = Tile(title="办理", subtitle=TEXT, subtitle_size=30, width=251)
    tile.texture_update()
    assert not _broken(_lines(tile))


def test_a_label_that_shortens_stays_on_one_line(kivy: Any) -> None:
    from screens.widgets import Text
    label = Text(text=TEXT, font_size=30, size=(300, 40), text_size=(300, 40), shorten=True)
    label.texture_update()
    assert "\n" not in "".join(run for _, run in label.font_runs)
    assert label.is_shortened


def test_a_text_shown_again_takes_the_texture_drawn_before(kivy: Any) -> None:
    from screens.widgets import Para
    once = Para(text="请将身份证放在感应区", font_size=40)
    once.texture_update()  # the first time: drawn, remembered, not kept (it may never
    first = Para(text="请将身份证放在感应区", font_size=40)  # come back); the second:
    first.texture_update()  # kept
    assert first.texture is not once.texture
    hits = kivy.textures.hits
    again = Para(text="请将身份证放在感应区", font_size=40)
    again.texture_update()
    assert again.texture is first.texture and kivy.textures.hits == hits + 1
    # Anything that changes the pixels is another texture: colour, size, wrap width.
    for other in (Para(text="请将身份证放在感应区", font_size=40, color=(1, 0, 0, 1)),
                  Para(text="请将身份证放在感应区", font_size=41),
                  Para(text="请将身份证放在感应区", font_size=40, width=200)):
        other.texture_update()
        assert other.texture is not first.texture


def test_a_kept_texture_is_never_drawn_over(kivy: Any) -> None:
    """Kivy's core label draws its next text into its old texture when the size is the
    same: the kept one must keep its pixels when the label moves on to another text."""
    from screens.widgets import Para
    label = Para(text="甲乙", font_size=40)
    label.texture_update()
    label.texture_update()  # shown a second time: kept from now on
    kept, pixels = label.texture, bytes(label.texture.pixels)
    label.text = "丙丁"  # same width and height
    label.texture_update()
    assert tuple(label.texture.size) == tuple(kept.size)
    assert bytes(label.texture.pixels) != pixels
    assert bytes(kept.pixels) == pixels
    label.text = "甲乙"
    label.texture_update()
    assert label.texture is kept


def test_text_that_never_comes_back_is_drawn_into_the_label_s_own_texture(kivy: Any) -> None:
    """Digits typed one by one: each text is new, none is kept, and the label draws each
    into the texture it already has (a new texture per keystroke grew the process by
    the texture's size each time)."""
    from screens.widgets import Para
    label = Para(text="13800", font_size=40, size_hint=(None, None), size=(600, 80),
                 text_size=(600, 80), halign="left", valign="middle")
    label.texture_update()
    texture, kept = label.texture, len(kivy.textures)
    for digit in "138001380":
        label.text += digit
        label.texture_update()
        assert label.texture is texture
    assert len(kivy.textures) == kept


def test_the_texture_cache_keeps_to_its_budget() -> None:
    from screens.richtext import Rendered, TextureCache
    cache = TextureCache(budget_bytes=3 * 100 * 10 * 4)
    for n in range(5):
        cache.put(n, Rendered(object(), (100, 10), {}, {}, False))
    assert len(cache) == 3 and cache.bytes == 3 * 4000
    assert cache.get(0) is None and cache.get(1) is None  # the oldest went first
    assert cache.get(2) is not None  # used: now the newest
    cache.put(5, Rendered(object(), (100, 10), {}, {}, False))
    assert cache.get(2) is not None and cache.get(3) is None
    cache.put("huge", Rendered(object(), (1000, 1000), {}, {}, False))  # over the budget
    assert cache.get("huge") is None and cache.bytes <= cache.budget


def test_a_label_drawn_from_the_cache_reports_the_lines_it_shows(kivy: Any) -> None:
    """The layout audit reads how Kivy laid the text out from the core label: a label
    that took a kept texture must say the same lines as the one that drew it."""
    from screens.audit.text import dropped, lines
    from screens.widgets import Para
    text = "萧山农商银行城厢支行 · 政银通服务点"
    drawn = [Para(text=text, font_size=40, width=300) for _ in range(2)]
    for label in drawn:
        label.texture_update()
    narrow = Para(text=text, font_size=40, width=60)  # another layout of the same text
    narrow.texture_update()
    hit = Para(text=text, font_size=40, width=300)
    hit.texture_update()
    assert hit.texture is drawn[1].texture
    assert lines(hit) == lines(drawn[1]) and len(lines(hit)) > 1
    assert dropped(hit) is None


def test_a_label_made_with_its_screen_is_drawn_once_at_its_laid_out_width(
        kivy: Any, harness: Any) -> None:
    """A screen's labels are made before its layouts run: each used to be drawn at a
    provisional width (wrapped a character per line) and again at the real one, the
    first draw wasted on every screen shown. Drawn once, at the width the layout gave."""
    from kivy.core.window import Window
    from kivy.uix.boxlayout import BoxLayout

    from screens.widgets import Para
    text = "点击下方大按钮即可开始，全程无需输入文字"
    drawn: list[float] = []

    class Counted(Para):  # type: ignore[misc]
        def _draw(self, *args: Any) -> Any:
            drawn.append(self.text_size[0])
            return super()._draw(*args)

    outer = BoxLayout(orientation="vertical", padding=40)
    middle = BoxLayout(padding=30)
    inner = BoxLayout(orientation="vertical", padding=20)
    label = Counted(text=text + "（一次）", font_size=32)  # a text no other test draws
    inner.add_widget(label)
    middle.add_widget(inner)
    outer.add_widget(middle)
    Window.add_widget(outer)
    try:
        harness.render(1)
        assert label.width > 600
        assert drawn == [label.width], drawn
        assert label.texture_size[1] < 2 * 32 * 1.6  # one line, not a column
    finally:
        Window.remove_widget(outer)

