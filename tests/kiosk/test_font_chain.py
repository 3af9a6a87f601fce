"""The font fallback chain: runs by coverage, complete CJK coverage, the cover command."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.fontchain import FontChain, clusters, join_surrogates
from devices.idcard.profiles import builtin_profiles
from kiosk.fonts import main, paper_chain
from tests.kiosk.cjk_blocks import BLOCKS, MUST_COVER

NOTO, HANA_A, HANA_B, BABELSTONE = range(4)
CHAIN = paper_chain()  # cmaps are read on first use


@pytest.fixture
def chain() -> FontChain:
    return CHAIN


def test_chain_covers_the_uro_and_extensions_a_and_b_completely(chain: FontChain) -> None:
    covered = set().union(*(chain.cmap(i) for i in range(len(chain.faces))))
    for block, (first, last) in BLOCKS.items():
        total = last - first + 1
        have = sum(1 for cp in range(first, last + 1) if cp in covered)
        print(f"\ncmap {block}: {have}/{total} ({100 * have / total:.2f} %)")
        if block in MUST_COVER:
            assert have == total, block


def test_noto_alone_lacks_rare_name_characters(chain: FontChain) -> None:
    # Why the chain exists: 𪚥 (U+2A6A5, Ext B) is not in Noto Sans CJK SC.
    assert 0x2A6A5 not in chain.cmap(NOTO)
    assert chain.face_for("𪚥") not in (None, NOTO)


def test_a_name_splits_into_runs_by_font(chain: FontChain) -> None:
    assert chain.runs("王𪚥明") == [(NOTO, "王"), (HANA_A, "𪚥"), (NOTO, "明")]
    assert chain.runs("刘䶮 𠮷田") == [(NOTO, "刘䶮 𠮷田")]  # Noto has 䶮 and 𠮷


def test_a_surrogate_pair_from_a_card_is_one_character(chain: FontChain) -> None:
    ucs2 = "王\ud869\udea5"  # 𪚥 as a UCS-2 decoder leaves it
    assert chain.runs(ucs2) == [(NOTO, "王"), (HANA_A, "𪚥")]
    assert chain.missing(ucs2) == []


def test_combining_marks_stay_with_their_base(chain: FontChain) -> None:
    assert clusters("e\u0301𪚥\ufe00x") == ["e\u0301", "𪚥\ufe00", "x"]
    assert chain.runs("𪚥\ufe00") == [(HANA_A, "𪚥\ufe00")]


@settings(deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
       | st.lists(st.sampled_from(["\ud869", "\udea5", "王", "\u0301", " ", "\n", "𪚥"]),
                  max_size=12).map("".join))
def test_runs_keep_every_character_in_order(text: str) -> None:
    assert "".join(run for _, run in CHAIN.runs(text)) == join_surrogates(text)


def _profile_names() -> list[str]:
    names = []
    for profile in builtin_profiles().values():
        names += [profile.fields[k] for k in ("name", "english_name") if k in profile.fields]
    return names


def test_cover_accepts_every_simulated_card_name(capsys: pytest.CaptureFixture[str]) -> None:
    names = _profile_names()
    assert "王𪚥" in names  # the Ext B name Noto lacks
    assert main(["cover", *names]) == 0


@pytest.mark.parametrize("block", ["Ext A", "Ext B"])
def test_cover_accepts_a_whole_extension(block: str) -> None:
    first, last = BLOCKS[block]
    assert main(["cover", "".join(map(chr, range(first, last + 1)))]) == 0


def test_cover_names_each_missing_character(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cover", "王\U0003fffd明\U0003fffd\U000e0041"]) == 1
    # once, with its code point; the tag character (a format character) is not drawn
    assert capsys.readouterr().out.splitlines() == ["\U0003fffd\tU+3FFFD"]
