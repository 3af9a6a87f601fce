"""Every key the card reader code uses is translated in zh_CN and en (idcard.po)."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

from devices.idcard.codes import NATIONS, SEXES
from kiosk.i18n.scan import scan

ROOT = Path(__file__).resolve().parents[3]


def catalogue(lang: str) -> dict[str, str]:
    po = polib.pofile(str(ROOT / "kiosk" / "locale" / lang / "idcard.po"))
    return {e.msgid: e.msgstr for e in po if not e.obsolete}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_keys_used_by_the_readers_are_translated(lang: str) -> None:
    used = scan([ROOT / "devices" / "idcard", ROOT / "devices" / "sscard"])
    texts = catalogue(lang)
    mine = {k for k in used if k.startswith(("idcard.", "sscard.", "device.reason.idcard",
                                              "device.reason.sscard"))}
    assert mine, "the scanner found none of our keys"
    assert sorted(k for k in mine if not texts.get(k)) == []
    assert all(texts.values())


def test_both_languages_have_the_same_keys() -> None:
    assert catalogue("zh_CN").keys() == catalogue("en").keys()


def test_nation_and_sex_names_match_the_code_tables() -> None:
    zh = catalogue("zh_CN")
    assert {k[len("idcard.nation."):]: v for k, v in zh.items()
            if k.startswith("idcard.nation.")} == NATIONS
    assert {k[len("idcard.sex."):]: v for k, v in zh.items()
            if k.startswith("idcard.sex.")} == SEXES
