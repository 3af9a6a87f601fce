"""The shared 禁则 line breaker (pixel widths, as the screens use it)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kiosk.i18n.linebreak import NO_LINE_END, NO_LINE_START, line_starts


def lines(text: str, limit: float, widths: dict[str, float] | None = None) -> list[str]:
    chars = list(text)
    w = [(widths or {}).get(c, 1.0 if c.isascii() else 2.0) for c in chars]
    out, prev = [], 0
    for s in [*line_starts(chars, w, limit), len(chars)]:
        out.append("".join(chars[prev:s]).rstrip("\n").rstrip(" "))
        prev = s
    return out


def test_a_closing_mark_takes_the_character_before_it_down() -> None:
    # Five ideographs fit; "，" would start line 2, so "证" moves down with it.
    assert lines("居民身份证，户口簿", 10) == ["居民身份", "证，户口簿"]


def test_an_opening_mark_does_not_end_a_line() -> None:
    assert lines("户口簿（首页）", 8) == ["户口簿", "（首页）"]


def test_english_words_break_at_spaces() -> None:
    assert lines("one page left", 9) == ["one page", "left"]


def test_a_word_wider_than_the_line_is_split() -> None:
    assert lines("XD2611220042", 5) == ["XD261", "12200", "42"]


def test_explicit_line_breaks_are_kept() -> None:
    assert lines("甲\n乙丙", 100) == ["甲", "乙丙"]


CJK = "居民身份证户口簿结婚首页本人材料齐全"
PUNCT = "，。、；：？！）」』》（「『《"


@given(st.text(alphabet=CJK + PUNCT, min_size=1, max_size=80)
       .filter(lambda t: not any(all(c in PUNCT for c in t[i:i + 3]) for i in range(len(t)))),
       st.integers(min_value=8, max_value=40))
def test_no_line_starts_with_closing_or_ends_with_opening(text: str, limit: int) -> None:
    result = lines(text, limit)
    assert "".join(result) == text
    for i, line in enumerate(result):
        assert len(line) * 2 <= limit
        if i > 0:
            assert line[0] not in NO_LINE_START, result
        if i < len(result) - 1:
            assert line[-1] not in NO_LINE_END, result
