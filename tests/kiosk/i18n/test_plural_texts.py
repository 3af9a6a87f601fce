"""Counts read naturally in English: "1 page", "3 pages", never "page(s)"."""

from __future__ import annotations

import polib
import pytest

from kiosk.i18n.translate import LOCALE_DIR, Translator


@pytest.mark.parametrize(("n", "text"), [(1, "1 attempt left"), (3, "3 attempts left"),
                                         (0, "0 attempts left")])
def test_a_count_picks_its_english_form(n: int, text: str) -> None:
    assert Translator("en").gettext("journey.face.attempts_left", n=n) == text


def test_pages_and_chinese_are_unchanged_by_the_plural_spec() -> None:
    assert Translator("en").gettext("journey.review.pages", n=1) == "1 page"
    assert "{" not in Translator("zh_CN").gettext("journey.review.pages", n=2)


def test_no_text_says_s_in_brackets() -> None:
    found = [(po.name, e.msgid) for po in sorted(LOCALE_DIR.glob("*/*.po"))
             for e in polib.pofile(str(po)) if "(s)" in e.msgstr]
    assert not found
