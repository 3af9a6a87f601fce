"""gettext-style translation with stable dotted keys.

Catalogs are GNU gettext ``.po`` files at ``kiosk/locale/<lang>/<domain>.po``
(lang: ``zh_CN``, ``en``). ``msgid`` is a stable dotted key such as
``home.tile.apply``; ``msgstr`` is the text. Each area owns one domain file
(``core.po``, ``screens.po``, ``receipt.po`` ...) so that engineers never edit
the same file; a language's messages are the union of all its domain files.

Why keys instead of English msgids: the kiosk speaks Chinese first, texts are
edited by non-programmers after release, and a key that never changes keeps
the screens, receipts and tests stable while the wording improves.

A missing key (or an empty / fuzzy ``msgstr``) returns the key itself, so a
screen still shows *something* and a technician can tell which text is
missing; it is recorded in :attr:`Translator.missing` so tests can assert that
nothing is.

Placeholders use ``str.format`` names: ``gettext(key, days=5)`` with
``msgstr "{days}个工作日"``. An argument the text does not use is ignored and a
placeholder without an argument stays as written, so a wrong call never raises
in front of a citizen.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polib

from kiosk.config.loader import LText
from kiosk.errors import ConfigError

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
#: Chinese first: the kiosk's citizens read Chinese, English is the second language.
DEFAULT_LANGUAGE = "zh_CN"


@dataclass(frozen=True)
class Messages:
    """The merged messages of one language, and where each key came from."""

    lang: str
    texts: Mapping[str, str]
    origin: Mapping[str, str]
    #: (key, first file, second file) for keys defined by two domain files.
    duplicates: tuple[tuple[str, str, str], ...] = ()
    #: Keys present but untranslated (empty or fuzzy msgstr), with their file.
    untranslated: Mapping[str, str] = field(default_factory=dict)


def domain_files(locale_dir: Path, lang: str) -> list[Path]:
    return sorted((locale_dir / lang).glob("*.po"))


def read_domain(path: Path) -> polib.POFile:
    """Parse one .po file; a broken file is a ConfigError naming it."""
    try:
        return polib.pofile(str(path), encoding="utf-8")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), "", f"not a valid .po file: {exc}") from None


def load_messages(locale_dir: Path, lang: str) -> Messages:
    """Merge every domain file of ``lang``; the first file (by name) wins a duplicate."""
    texts: dict[str, str] = {}
    origin: dict[str, str] = {}
    duplicates: list[tuple[str, str, str]] = []
    untranslated: dict[str, str] = {}
    for path in domain_files(locale_dir, lang):
        for entry in read_domain(path):
            if entry.obsolete or not entry.msgid:
                continue
            key = entry.msgid
            if key in origin or key in untranslated:
                first = origin.get(key) or untranslated[key]
                duplicates.append((key, first, str(path)))
                continue
            if not entry.msgstr or entry.fuzzy:
                untranslated[key] = str(path)
                continue
            texts[key] = entry.msgstr
            origin[key] = str(path)
    return Messages(lang, texts, origin, tuple(duplicates), untranslated)


def available_languages(locale_dir: Path) -> list[str]:
    """Languages that have at least one domain file, the default language first."""
    if not locale_dir.is_dir():
        return []
    found = sorted(p.name for p in locale_dir.iterdir() if p.is_dir() and domain_files(
        locale_dir, p.name))
    return sorted(found, key=lambda lang: lang != DEFAULT_LANGUAGE)


class _KeepMissing(dict[str, Any]):
    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


class _PluralFormatter(string.Formatter):
    """``{n:plural:{n} page|{n} pages}``: the first form when n is 1, else the second
    (English needs two forms; Chinese texts simply do not use the spec)."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        if format_spec.startswith("plural:"):
            one, _, other = format_spec[len("plural:"):].partition("|")
            return one if value == 1 else (other or one)
        return super().format_field(value, format_spec)


_FORMATTER = _PluralFormatter()


def _format(text: str, args: Mapping[str, Any]) -> str:
    try:
        return _FORMATTER.vformat(text, (), _KeepMissing(args))
    except (ValueError, IndexError, AttributeError, KeyError):
        # A malformed placeholder in a translation must not crash a screen.
        return text


class Translator:
    """Texts of one language at a time; build one in ``kiosk/wiring/build.py`` and pass it on.

    ``set_language`` switches (the 中/EN button); every language's messages are
    loaded once, on first use.
    """

    def __init__(self, lang: str = DEFAULT_LANGUAGE, locale_dir: Path = LOCALE_DIR) -> None:
        self.locale_dir = locale_dir
        self._loaded: dict[str, Messages] = {}
        #: Keys asked for but not translated in the language asked, e.g. {"en": {...}}.
        self.missing: dict[str, set[str]] = {}
        self.lang = lang
        self._messages = self._load(lang)

    def _load(self, lang: str) -> Messages:
        if lang not in self._loaded:
            if not (self.locale_dir / lang).is_dir():
                raise ConfigError(str(self.locale_dir / lang), "",
                                  f"no translations for language {lang!r}; available: "
                                  f"{', '.join(self.languages()) or 'none'}")
            self._loaded[lang] = load_messages(self.locale_dir, lang)
        return self._loaded[lang]

    def set_language(self, lang: str) -> None:
        self._messages = self._load(lang)
        self.lang = lang

    def languages(self) -> list[str]:
        return available_languages(self.locale_dir)

    @property
    def messages(self) -> Messages:
        return self._messages

    def has(self, key: str) -> bool:
        return key in self._messages.texts

    def gettext(self, key: str, /, **format_args: Any) -> str:
        text = self._messages.texts.get(key)
        if text is None:
            self.missing.setdefault(self.lang, set()).add(key)
            return key
        return _format(text, format_args) if format_args else text

    __call__ = gettext

    def text(self, value: LText | None) -> str:
        """A catalog or config text (``LText``) in the current language."""
        return "" if value is None else value.get(self.lang)

    def keys(self) -> set[str]:
        return set(self._messages.texts)


def keys_by_language(locale_dir: Path, langs: Iterable[str]) -> dict[str, set[str]]:
    return {lang: set(load_messages(locale_dir, lang).texts) for lang in langs}
