"""The on-screen pinyin input method's candidate table (no Kivy here).

Built on first use from pypinyin's own dictionaries: the per-character readings
(``pypinyin.pinyin_dict.pinyin_dict``, code point -> "zhōng,zhòng") and the phrase
readings (``pypinyin.phrases_dict.phrases_dict``), both inverted to toneless
pinyin -> characters. pypinyin has no frequencies, so a character's main reading comes before its
others, then characters used in more of pypinyin's phrases, then by GB 2312
level (level 1 = the 3,755 most used characters), GBK, the rest;
phrases of the exact reading come before
single characters so that typing "zhangsan" offers 张三 at once.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import defaultdict
from functools import partial

#: Candidates offered per page of the candidate bar.
PAGE = 8


def toneless(reading: str) -> str:
    """``lǜ`` -> ``lv``, ``zhōng`` -> ``zhong`` (ü typed as v, as on every pinyin IME)."""
    decomposed = unicodedata.normalize("NFD", reading.strip().lower())
    decomposed = decomposed.replace("u\u0308", "v")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _order(readings: dict[str, int], uses: dict[str, int], char: str) -> tuple[int, ...]:
    """Main reading first, then characters in more phrases, then by GB level and code."""
    return (readings[char], -uses[char], *_rank(char))


def _rank(char: str) -> tuple[int, int]:
    try:
        code = char.encode("gb2312")
        level = 0 if code[0] < 0xD8 else 1  # rows 16-55 are level 1 (GB 2312 §5)
        return (level, int.from_bytes(code, "big"))
    except UnicodeEncodeError:
        try:
            return (2, int.from_bytes(char.encode("gbk"), "big"))
        except UnicodeEncodeError:
            return (3, ord(char))


class PinyinTable:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._chars: dict[str, list[str]] | None = None
        self._phrases: dict[str, list[str]] = {}

    def _build(self) -> dict[str, list[str]]:
        with self._lock:
            if self._chars is None:
                from pypinyin.phrases_dict import phrases_dict
                from pypinyin.pinyin_dict import pinyin_dict
                # syllable -> {char: 0 when it is the character's first (main) reading}
                chars: dict[str, dict[str, int]] = defaultdict(dict)
                for code, readings in pinyin_dict.items():
                    char = chr(code)
                    for n, reading in enumerate(readings.split(",")):
                        chars[toneless(reading)].setdefault(char, min(n, 1))
                phrases: dict[str, list[str]] = defaultdict(list)
                # How many of pypinyin's phrases use a character: a frequency stand-in.
                uses: dict[str, int] = defaultdict(int)
                phrase: str
                for phrase, phrase_readings in phrases_dict.items():
                    for ch in phrase:
                        uses[ch] += 1
                    key = "".join(toneless(r[0]) for r in phrase_readings if r)
                    phrases[key].append(phrase)
                self._phrases = dict(phrases)
                self._chars = {k: sorted(v, key=partial(_order, v, uses))
                               for k, v in chars.items()}
            return self._chars

    def warm(self) -> None:
        """Build the table now (about a second of CPU), e.g. on a worker thread while
        Home waits, so the first letter typed in a form does not pay for it."""
        self._build()

    def candidates(self, letters: str, limit: int = 64) -> list[str]:
        """Phrases read exactly ``letters``, then characters of that syllable, then of
        syllables starting with it (typing "zh" already offers 张, 中 ...)."""
        chars = self._build()
        letters = letters.lower()
        if not letters:
            return []
        out: list[str] = list(self._phrases.get(letters, ()))[:limit]
        out += chars.get(letters, [])
        if not out:
            # "renmin" typed in one go: the characters of its longest leading syllable.
            head = self._head(letters)
            out += chars.get(head, [])
        if len(out) < limit and len(letters) <= 6:
            starts = sorted((c for key, cs in chars.items() if key.startswith(letters)
                             and key != letters for c in cs[:6]), key=_rank)
            out += starts
        seen: set[str] = set()
        unique: list[str] = []
        for c in out:
            if c not in seen:
                seen.add(c)
                unique.append(c)
        return unique[:limit]

    def _head(self, letters: str) -> str:
        chars = self._build()
        for end in range(min(len(letters), 6), 0, -1):
            if letters[:end] in chars:
                return letters[:end]
        return ""

    def span(self, letters: str, picked: str) -> int:
        """How many of the typed letters a picked candidate stands for."""
        chars = self._build()
        letters = letters.lower()
        if picked in self._phrases.get(letters, ()) or picked in chars.get(letters, ()):
            return len(letters)
        head = self._head(letters)
        return len(head) if head and len(picked) == 1 else len(letters)
