"""Column counting and Chinese line breaking of receipt text."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.printer.document import DOUBLE, Align, Paragraph, Run, para
from devices.printer.layout import (
    NO_LINE_END,
    NO_LINE_START,
    char_width,
    clean,
    clusters,
    text_width,
    wrap,
)


def test_widths_follow_east_asian_width_and_gb18030() -> None:
    assert [char_width(c) for c in "A1 受，（𠮷䶮"] == [1, 1, 1, 2, 2, 2, 2, 2]
    # Ambiguous characters that a Chinese printer receives as double-byte codes are wide.
    assert char_width("·") == 2 and char_width("°") == 2
    assert char_width("\u0301") == 0 and char_width("\ufe00") == 0
    assert text_width("330181********1234") == 18


def test_clusters_keep_combining_marks_and_variation_sequences() -> None:
    assert clusters("e\u0301a") == ["e\u0301", "a"]
    assert clusters("葛\U000e0100x") == ["葛\U000e0100", "x"]  # ideographic variation sequence


def test_surrogate_pairs_are_joined_and_lone_ones_replaced() -> None:
    assert clean("\ud842\udfb7") == "𠮷"
    assert clean("a\ud842b") == "a\ufffdb"
    assert clean("a\tb\x07c") == "a bc"


def test_closing_punctuation_never_starts_a_line() -> None:
    # 10 columns: "一二三四五" fills the line, so "，" would start the next one.
    lines = wrap(para("一二三四五，六七"), 10)
    assert [line.text for line in lines] == ["一二三四", "五，六七"]


def test_opening_punctuation_never_ends_a_line() -> None:
    lines = wrap(para("一二三四（五六）"), 10)
    assert [line.text for line in lines] == ["一二三四", "（五六）"]


def test_latin_words_and_references_break_at_spaces() -> None:
    lines = wrap(para("ref XD-261122-0042-7 ok"), 18)
    assert [line.text for line in lines] == ["ref", "XD-261122-0042-7", "ok"]


def test_a_word_wider_than_the_line_is_split_between_clusters() -> None:
    lines = wrap(para("abcdefghij"), 4)
    assert [line.text for line in lines] == ["abcd", "efgh", "ij"]


def test_hanging_indent_and_double_size() -> None:
    p = Paragraph((Run("受理时间："), Run("二零二六年十一月二十二日", bold=True)), hanging=10)
    lines = wrap(p, 24)
    assert lines[0].text == "受理时间：二零二六年十一"
    assert lines[1].indent == 10 and lines[1].segments[0].bold
    big = wrap(para("受理回执受理回执受理回执受理回执", size=DOUBLE, align=Align.CENTER), 48)
    assert [line.columns for line in big] == [48, 16]


names = st.lists(
    st.sampled_from([*"张王欧阳娜䶮𠮷，。（）「」abc XYZ-12", "e\u0301", "葛\U000e0100"]),
    max_size=60,
).map("".join).filter(
    # Real text has at most two marks in a row (）。); longer runs cannot always obey the rules.
    lambda t: not any(all(c in NO_LINE_START | NO_LINE_END for c in t[i:i + 3])
                      for i in range(len(t) - 2)))


@settings(max_examples=200, deadline=None)
@given(text=names, columns=st.sampled_from([16, 32, 48]))
def test_wrapping_keeps_every_cluster_and_every_rule(text: str, columns: int) -> None:
    lines = wrap(para(text), columns)
    joined = "".join(line.text for line in lines)
    assert joined.replace(" ", "") == clean(text).replace(" ", "")
    for line in lines:
        assert line.columns <= columns or len(clusters(line.text)) == 1
        if line.text:
            # A lone punctuation unit wider than the line is the only exception.
            assert line.text[0] not in NO_LINE_START or line is lines[0] or len(line.text) == 1
            assert line.text[-1] not in NO_LINE_END or line is lines[-1] or len(line.text) == 1
        first = line.text[:1]
        assert not first or unicodedata.category(first) not in ("Mn", "Me")


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=80), columns=st.sampled_from([8, 32, 48]),
       hanging=st.integers(0, 30))
def test_any_text_wraps_without_error(text: str, columns: int, hanging: int) -> None:
    # Names come from card readers and back offices: any code points, even lone surrogates.
    for line in wrap(para(text, hanging=hanging), columns):
        assert line.columns <= columns or len(clusters(line.text)) == 1
        line.text.encode("utf-8")  # no lone surrogate survives
