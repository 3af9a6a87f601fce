"""Catalog search: Chinese text, English, full pinyin and pinyin initials.

Elderly citizens and people on a touch keyboard type the shortest thing that
works: ``gjj`` for 公积金, ``hkb`` for 户口簿, ``shenfenzheng`` for 身份证. So
every item is indexed under several *forms* of each of its texts, computed once
when the index is built (pypinyin is far too slow to call per keystroke):

* the Chinese text, the English text,
* the full pinyin without tones (``gongjijin``; ü is written ``v`` as on
  Chinese keyboards),
* the pinyin initials (``gjj``).

Texts and queries are folded the same way: NFKC (full-width ``ＧＪＪ`` and
``１２３`` become ASCII), case-folded, and everything that is not a letter,
digit or ideograph removed (spaces, hyphens, brackets), so ``HJ-001``, ``hj 001``
and ``ｈｊ００１`` are the same query.

Ranking: an exact match before a prefix match before a substring match; within
each, a match on the item's name before one on a keyword, then the department,
then the life events; ties keep catalog order. A query is one pass over one
pre-joined string per item, and only the items that match are ranked.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin, pinyin

from kiosk.catalog.models import Catalog, ServiceItem

#: Field weights, lower is better.
NAME, CODE, KEYWORD, DEPARTMENT, LIFE_EVENT = range(5)
EXACT, PREFIX, SUBSTRING = range(3)
_SEP = "\x00"


def fold(text: str) -> str:
    """The form both texts and queries are compared in."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


#: Han ideographs (CJK Unified Ideographs, Extension A, compatibility, Extensions B-G).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_CHAR = re.compile(f"[{_HAN}]")
_SEGMENTS = re.compile(f"[{_HAN}]|[^{_HAN}]+")


def pinyin_forms(text: str) -> list[str]:
    """Full pinyin and initials of a Chinese text, with the other readings of polyphones.

    pypinyin's phrase dictionary picks one reading (重名 comes out ``zhongming``);
    people type the one they say (``chongming``). So for each polyphonic
    character the other readings are indexed too, one character at a time
    (linear in the length, never the product of all combinations).
    Non-Chinese runs are kept as they are.
    """
    base = fold(text)
    segments = _SEGMENTS.findall(base)
    forms: list[str] = []
    for style in (Style.NORMAL, Style.FIRST_LETTER):
        default = lazy_pinyin(base, style=style, errors="default")
        forms.append(fold("".join(default)))
        if len(default) != len(segments):  # pypinyin split a run differently: no variants
            continue
        for i, segment in enumerate(segments):
            if not _HAN_CHAR.fullmatch(segment):
                continue
            for reading in pinyin(segment, style=style, heteronym=True, errors="default")[0]:
                if reading != default[i]:
                    variant = "".join(default[:i]) + reading + "".join(default[i + 1:])
                    forms.append(fold(variant))
    return list(dict.fromkeys(forms))


@dataclass(frozen=True)
class _Entry:
    item: ServiceItem
    order: int
    forms: tuple[tuple[int, str], ...]
    blob: str


class CatalogSearch:
    """An index of one catalog; build it once (at start or when the catalog changes)."""

    def __init__(self, catalog: Catalog) -> None:
        self._cache: dict[str, list[str]] = {}
        departments = {d.id: d for d in catalog.departments}
        events = {e.id: e for e in catalog.life_events}
        entries = []
        for order, item in enumerate(catalog.items):
            forms: list[tuple[int, str]] = []
            self._add(forms, NAME, item.name.zh_CN, item.name.en)
            forms.append((CODE, fold(item.code)))
            for keyword in item.keywords:
                self._add(forms, KEYWORD, keyword)
            dept = departments.get(item.department)
            if dept is not None:
                self._add(forms, DEPARTMENT, dept.name.zh_CN, dept.name.en)
            for event_id in item.life_events:
                event = events.get(event_id)
                if event is not None:
                    self._add(forms, LIFE_EVENT, event.name.zh_CN, event.name.en)
            unique = tuple(dict.fromkeys(f for f in forms if f[1]))
            entries.append(_Entry(item, order, unique, _SEP.join(t for _, t in unique)))
        self._entries = tuple(entries)
        self._cache.clear()

    def _add(self, forms: list[tuple[int, str]], field: int, chinese: str,
             english: str = "") -> None:
        if chinese not in self._cache:
            self._cache[chinese] = pinyin_forms(chinese)
        forms.append((field, fold(chinese)))
        forms.extend((field, reading) for reading in self._cache[chinese])
        if english:
            forms.append((field, fold(english)))

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, query: str, limit: int = 50) -> list[ServiceItem]:
        """Items matching ``query``, best first; an empty query finds nothing."""
        q = fold(query)
        if not q or limit <= 0:
            return []
        ranked: list[tuple[int, int, int, ServiceItem]] = []
        for entry in self._entries:
            if q not in entry.blob:
                continue
            best: tuple[int, int] | None = None
            for field, text in entry.forms:
                if q not in text:
                    continue
                kind = EXACT if text == q else PREFIX if text.startswith(q) else SUBSTRING
                if best is None or (kind, field) < best:
                    best = (kind, field)
            if best is not None:  # always set: q holds no separator, so it matched one form
                ranked.append((best[0], best[1], entry.order, entry.item))
        ranked.sort(key=lambda r: r[:3])
        return [r[3] for r in ranked[:limit]]
