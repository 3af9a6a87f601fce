"""Translations (kiosk/i18n/translate.py) and the completeness of every domain file."""

from __future__ import annotations

import inspect
import string
from pathlib import Path

import polib
import pytest

import kiosk.errors
from kiosk.config.loader import LText
from kiosk.config.model import ROOT
from kiosk.errors import ConfigError, KioskError
from kiosk.i18n.scan import scan, scan_text
from kiosk.i18n.translate import LOCALE_DIR, Translator, load_messages, read_domain

LANGS = ("zh_CN", "en")


def domains() -> list[str]:
    return sorted({p.stem for lang in LANGS for p in (LOCALE_DIR / lang).glob("*.po")})


def entries(lang: str, domain: str) -> dict[str, polib.POEntry]:
    return {e.msgid: e for e in read_domain(LOCALE_DIR / lang / f"{domain}.po")
            if e.msgid and not e.obsolete}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# --------------------------------------------------------------------------- the shipped files


def test_core_domain_exists() -> None:
    assert "core" in domains()


@pytest.mark.parametrize("domain", domains())
def test_domain_complete_in_every_language(domain: str) -> None:
    for lang in LANGS:
        assert (LOCALE_DIR / lang / f"{domain}.po").is_file(), f"{lang}/{domain}.po missing"
    zh, en = entries("zh_CN", domain), entries("en", domain)
    assert sorted(set(zh) - set(en)) == [], f"keys only in zh_CN/{domain}.po"
    assert sorted(set(en) - set(zh)) == [], f"keys only in en/{domain}.po"
    for lang, table in (("zh_CN", zh), ("en", en)):
        empty = sorted(k for k, e in table.items() if not e.msgstr.strip() or e.fuzzy)
        assert empty == [], f"untranslated in {lang}/{domain}.po"
    # The same placeholders in both languages, or a format argument goes missing.
    differ = sorted(k for k in zh if placeholders(zh[k].msgstr) != placeholders(en[k].msgstr))
    assert differ == [], f"placeholders differ in {domain}.po"


@pytest.mark.parametrize("lang", LANGS)
def test_no_key_defined_by_two_domains(lang: str) -> None:
    dups = load_messages(LOCALE_DIR, lang).duplicates
    assert dups == (), "keys in two domain files: " + "; ".join(
        f"{k} ({Path(a).name}, {Path(b).name})" for k, a, b in dups)


def test_every_error_class_key_is_translated() -> None:
    classes = [c for _, c in inspect.getmembers(kiosk.errors, inspect.isclass)
               if issubclass(c, KioskError)]
    assert len(classes) > 10
    for lang in LANGS:
        tr = Translator(lang)
        missing = sorted({c.i18n_key for c in classes if not tr.has(c.i18n_key)})
        assert missing == [], f"{lang}: error keys without a text"


def test_every_literal_key_in_the_code_is_translated() -> None:
    used = scan([ROOT / "kiosk", ROOT / "devices", ROOT / "screens"])
    assert "error.generic" in used  # the scanner sees kiosk/errors.py
    report = []
    for lang in LANGS:
        tr = Translator(lang)
        report += [f"{lang}: {key} (used at {where[0]})" for key, where in sorted(used.items())
                   if not tr.has(key)]
    # Each area adds its keys to its own domain file (kiosk/locale/README.md).
    assert not report, "keys used in code without a translation:\n" + "\n".join(report)


def test_status_keys_follow_the_api() -> None:
    statuses = ("submitted", "accepted", "in_review", "approved", "rejected",
                "needs_supplement", "ready_for_pickup", "collected")
    for lang in LANGS:
        tr = Translator(lang)
        assert all(tr.has(f"status.{s}") for s in statuses)


def test_catalog_vocabulary_is_translated() -> None:
    from typing import get_args

    from kiosk.catalog import models

    for lang in LANGS:
        tr = Translator(lang)
        for prefix, literal in (("channel", models.Channel), ("identity", models.IdentityRule),
                                ("applicant", models.Applicant),
                                ("material.form", models.MaterialForm),
                                ("material.capture", models.Capture)):
            for value in get_args(literal):
                assert tr.has(f"{prefix}.{value}"), f"{lang}: {prefix}.{value}"


# --------------------------------------------------------------------------- Translator


def write_po(path: Path, entries: dict[str, str], *, fuzzy: tuple[str, ...] = ()) -> None:
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    for key, text in entries.items():
        entry = polib.POEntry(msgid=key, msgstr=text)
        if key in fuzzy:
            entry.flags.append("fuzzy")
        po.append(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(path))


@pytest.fixture
def locale(tmp_path: Path) -> Path:
    write_po(tmp_path / "zh_CN" / "a.po", {"x.hello": "你好，{name}", "x.plain": "文字",
                                            "x.fuzzy": "草稿"}, fuzzy=("x.fuzzy",))
    write_po(tmp_path / "zh_CN" / "b.po", {"y.bye": "再见"})
    write_po(tmp_path / "en" / "a.po", {"x.hello": "Hello, {name}", "x.plain": "Text"})
    return tmp_path


def test_merges_domains_and_switches_language(locale: Path) -> None:
    tr = Translator("zh_CN", locale_dir=locale)
    assert tr("x.hello", name="张三") == "你好，张三"
    assert tr.gettext("y.bye") == "再见"
    assert tr.languages() == ["zh_CN", "en"]
    tr.set_language("en")
    assert (tr.lang, tr("x.hello", name="Li")) == ("en", "Hello, Li")
    assert tr.text(LText(zh_CN="中", en="EN")) == "EN"
    assert tr.text(None) == ""


def test_missing_key_returns_the_key_and_is_recorded(locale: Path) -> None:
    tr = Translator("en", locale_dir=locale)
    assert tr("y.bye") == "y.bye"
    assert tr("x.fuzzy") == "x.fuzzy"
    assert tr.missing == {"en": {"y.bye", "x.fuzzy"}}
    zh = Translator("zh_CN", locale_dir=locale)
    assert zh("x.fuzzy") == "x.fuzzy"  # a fuzzy entry is not a translation


def test_formatting_never_raises(locale: Path) -> None:
    tr = Translator("zh_CN", locale_dir=locale)
    assert tr("x.hello") == "你好，{name}"
    assert tr("x.hello", other=1) == "你好，{name}"
    assert tr("x.plain", unused="x") == "文字"
    write_po(locale / "zh_CN" / "c.po", {"z.bad": "坏的 {"})
    assert Translator("zh_CN", locale_dir=locale)("z.bad", n=1) == "坏的 {"


def test_duplicates_are_recorded_first_file_wins(locale: Path) -> None:
    write_po(locale / "zh_CN" / "c.po", {"x.plain": "另一个"})
    messages = load_messages(locale, "zh_CN")
    assert messages.texts["x.plain"] == "文字"
    assert [(k, Path(a).name, Path(b).name) for k, a, b in messages.duplicates] == [
        ("x.plain", "a.po", "c.po")]


def test_unknown_language_and_broken_file(locale: Path) -> None:
    with pytest.raises(ConfigError, match="no translations for language 'fr'"):
        Translator("fr", locale_dir=locale)
    (locale / "en" / "broken.po").write_text("not a po file\nmsgid\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        Translator("en", locale_dir=locale)
    assert info.value.file.endswith("broken.po")


# --------------------------------------------------------------------------- the scanner


def test_scanner_finds_literal_keys_only() -> None:
    py = '\n'.join([
        'label = _("home.tile.apply")',
        "title = self.tr('guide.steps')",
        'raise CardError("x", i18n_key="idcard.error.read_failed")',
        '    i18n_key = "error.paper_out"',
        '    i18n_key: str = "error.generic"',
        'DeviceStatus(DeviceState.UNAVAILABLE, reason="device.reason.paper_out")',
        'REASON_X = "device.reason.camera_frozen"',
        'DeviceStatus(DeviceState.UNAVAILABLE, reason="serial port gone")',
        'key = f"status.{status}"',
        'value = str("not.a.key.call")',
    ])
    keys = [k for k, _ in scan_text(py)]
    assert keys == ["home.tile.apply", "guide.steps", "idcard.error.read_failed",
                    "error.paper_out", "error.generic", "device.reason.paper_out",
                    "device.reason.camera_frozen"]
    kv = "Label:\n    text: app.tr('home.title')\nButton:\n    text: _(\"common.ok\")\n"
    assert scan_text(kv, kv=True) == [("home.title", 2), ("common.ok", 4)]


def test_scan_walks_trees_and_skips_tests(tmp_path: Path) -> None:
    (tmp_path / "screens").mkdir()
    (tmp_path / "screens" / "home.kv").write_text("text: app.tr('home.title')\n",
                                                  encoding="utf-8")
    (tmp_path / "screens" / "tests").mkdir()
    (tmp_path / "screens" / "tests" / "t.py").write_text('_("never.seen")\n', encoding="utf-8")
    used = scan([tmp_path / "screens", tmp_path / "absent"])
    assert list(used) == ["home.title"]
    assert used["home.title"][0].endswith("home.kv:1")
