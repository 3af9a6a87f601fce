"""The input method's candidate table built from pypinyin's dictionaries (no Kivy)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screens.journey.pinyin import PinyinTable, toneless


@pytest.fixture(scope="module")
def table() -> PinyinTable:
    return PinyinTable()


def test_toneless_readings() -> None:
    assert toneless("zhōng") == "zhong"
    assert toneless("lǜ") == "lv"
    assert toneless("Nǚ") == "nv"


@pytest.mark.parametrize(("letters", "char"), [("ren", "人"), ("min", "民"), ("zhang", "张"),
                                               ("lin", "林"), ("lv", "绿")])
def test_common_characters_on_the_first_page(table: PinyinTable, letters: str,
                                             char: str) -> None:
    assert char in table.candidates(letters)[:8]


def test_phrases_before_characters(table: PinyinTable) -> None:
    found = table.candidates("yidingbushi")
    assert found and found[0] == "一丁不识"


def test_prefix_offers_characters_of_longer_syllables(table: PinyinTable) -> None:
    assert "张" in table.candidates("zh") or "中" in table.candidates("zh")


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", max_size=12))
def test_any_letters_give_a_bounded_unique_list(letters: str) -> None:
    found = PINYIN.candidates(letters, limit=20)
    assert len(found) <= 20 and len(set(found)) == len(found)


PINYIN = PinyinTable()
