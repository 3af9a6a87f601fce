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
each, a match on the item's name before its code, a keyword, the department,
then the life events; ties keep catalog order. Exact matches are a dict lookup;
the rest are C-level scans of one pre-joined string per field (see
:class:`_FieldText`), stopping once ``limit`` items are found.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterator

from pypinyin import Style, lazy_pinyin, pinyin

from kiosk.catalog.models import Catalog, ServiceItem

#: Fields in rank order, best first.
NAME, CODE, KEYWORD, DEPARTMENT, LIFE_EVENT = FIELDS = range(5)
_SEP = "\x00"


def fold(text: str) -> str:
    """The form both texts and queries are compared in."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


#: Han ideographs (CJK Unified Ideographs, Extension A, compatibility, Extensions B-G).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_CHAR = re.compile(f"[{_HAN}]")
_SEGMENTS = re.compile(f"[{_HAN}]|[^{_HAN}]+")
_PUNCTUATION = re.compile(r"[^\w]+")


class PinyinIndexer:
    """Pinyin forms of texts, with caches that make a 1,000-item index cheap to build.

    pypinyin's phrase dictionary picks one reading (重名 comes out ``zhongming``);
    people type the one they say (``chongming``). So for each polyphonic
    character the other readings are indexed too, one character at a time
    (linear in the length, never the product of all combinations). Texts are
    cut at punctuation first (no phrase spans it), so the many items that share
    a name stem (``住房公积金提取（…）``) convert the stem once.
    """

    def __init__(self) -> None:
        self._chunks: dict[tuple[str, Style], list[str]] = {}
        self._chars: dict[tuple[str, Style], list[str]] = {}

    def _chunk(self, chunk: str, style: Style) -> list[str]:
        key = (chunk, style)
        if key not in self._chunks:
            readings = lazy_pinyin(chunk, style=style, errors="default")
            # Keep the alignment with the chunk's segments or give up on variants.
            self._chunks[key] = readings if len(readings) == len(
                _SEGMENTS.findall(chunk)) else ["".join(readings)]
        return self._chunks[key]

    def _alternatives(self, char: str, style: Style) -> list[str]:
        key = (char, style)
        if key not in self._chars:
            self._chars[key] = pinyin(char, style=style, heteronym=True, errors="default")[0]
        return self._chars[key]

    def forms(self, text: str) -> list[str]:
        """Full pinyin and initials of ``text``, default reading first, then variants."""
        chunks = [fold(c) for c in _PUNCTUATION.split(unicodedata.normalize("NFKC", text))]
        chunks = [c for c in chunks if c]
        forms: list[str] = []
        for style in (Style.NORMAL, Style.FIRST_LETTER):
            segments: list[str] = []
            default: list[str] = []
            for chunk in chunks:
                readings = self._chunk(chunk, style)
                default.extend(readings)
                parts = _SEGMENTS.findall(chunk)
                segments.extend(parts if len(parts) == len(readings) else [chunk])
            forms.append(fold("".join(default)))
            if len(segments) != len(default):
                continue
            for i, segment in enumerate(segments):
                if not _HAN_CHAR.fullmatch(segment):
                    continue
                for reading in self._alternatives(segment, style):
                    if reading != default[i]:
                        variant = "".join(default[:i]) + reading + "".join(default[i + 1:])
                        forms.append(fold(variant))
        return list(dict.fromkeys(forms))


def pinyin_forms(text: str) -> list[str]:
    """Full pinyin and initials of one text (see :class:`PinyinIndexer`)."""
    return PinyinIndexer().forms(text)


class _FieldText:
    """One field (name, keywords ...) of every item, joined into one string per width.

    Each item contributes ``SEP form SEP form ... SEP`` (or nothing), so
    ``find(SEP + q)`` finds forms that start with ``q`` and ``find(q)`` any
    form containing it, in catalog order, scanning in C; ``starts`` maps an
    offset back to the item. Forms are split by width because CPython stores
    an all-ASCII string in one byte per character and a Chinese one in four:
    ASCII queries (pinyin, initials, English, codes) scan the compact string
    only. Every ASCII run of a Chinese text also appears in its pinyin forms,
    so nothing an ASCII query could match is lost.
    """

    def __init__(self, per_item: list[list[str]]) -> None:
        parts: list[str] = []
        self.starts: list[int] = []
        offset = 0
        for forms in per_item:
            part = _SEP + _SEP.join(forms) + _SEP if forms else ""
            self.starts.append(offset)
            parts.append(part)
            offset += len(part)
        self.text = "".join(parts)

    def hits(self, needle: str) -> Iterator[int]:
        """Indexes of the items whose forms contain ``needle``, in order, each once."""
        text, starts = self.text, self.starts
        pos = text.find(needle)
        while pos >= 0:
            index = bisect.bisect_right(starts, pos) - 1
            yield index
            if index + 1 >= len(starts):
                return
            pos = text.find(needle, starts[index + 1])


class CatalogSearch:
    """An index of one catalog; build it once (at start or when the catalog changes).

    Results come in rank buckets (exact, prefix, substring; each by field;
    catalog order inside a bucket), so a query stops scanning as soon as it has
    ``limit`` items: a one-letter query that matches most of the catalog costs
    no more than a rare one.
    """

    def __init__(self, catalog: Catalog) -> None:
        self._readings: dict[str, list[str]] = {}
        self._pinyin = PinyinIndexer()
        departments = {d.id: d for d in catalog.departments}
        events = {e.id: e for e in catalog.life_events}
        self._items = tuple(catalog.items)
        # form -> {item index: best field having exactly that form}
        exact: dict[str, dict[int, int]] = {}
        columns: dict[tuple[bool, int], list[list[str]]] = {
            (wide, f): [] for wide in (False, True) for f in FIELDS}
        for index, item in enumerate(self._items):
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
            for column in columns.values():
                column.append([])
            for field, text in dict.fromkeys(forms):
                if not text:
                    continue
                columns[(not text.isascii(), field)][index].append(text)
                best = exact.setdefault(text, {})
                best[index] = min(field, best.get(index, field))
        self._exact = {form: sorted((f, i) for i, f in hits.items())
                       for form, hits in exact.items()}
        self._fields = {key: _FieldText(column) for key, column in columns.items()}
        self._readings.clear()
        self._pinyin = PinyinIndexer()

    def _add(self, forms: list[tuple[int, str]], field: int, chinese: str,
             english: str = "") -> None:
        if chinese not in self._readings:
            self._readings[chinese] = self._pinyin.forms(chinese)
        forms.append((field, fold(chinese)))
        forms.extend((field, reading) for reading in self._readings[chinese])
        if english:
            forms.append((field, fold(english)))

    def __len__(self) -> int:
        return len(self._items)

    def search(self, query: str, limit: int = 50) -> list[ServiceItem]:
        """Items matching ``query``, best first; an empty query finds nothing."""
        q = fold(query)
        if not q or limit <= 0:
            return []
        found: dict[int, None] = {}
        for _, index in self._exact.get(q, ()):
            found[index] = None
        wide = not q.isascii()
        # A field without q anywhere needs neither pass (one scan instead of two).
        present: dict[int, bool] = {}
        # Prefix matches (a separator then q), then substrings; each field best first.
        for needle in (_SEP + q, q):
            for field in FIELDS:
                if len(found) >= limit:
                    break
                column = self._fields[(wide, field)]
                if field not in present:
                    present[field] = q in column.text
                if not present[field]:
                    continue
                for index in column.hits(needle):
                    found.setdefault(index, None)
                    if len(found) >= limit:
                        break
        return [self._items[i] for i in list(found)[:limit]]
