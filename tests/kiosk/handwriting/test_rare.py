"""Rare name characters by hand: the supplementary model zinnia's trainer builds from
composed strokes answers for the characters Debian's model does not know (䶮 of 王䶮,
喆, 垚), and for nothing else."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.errors import DeviceUnavailable
from kiosk.handwriting import rare
from kiosk.handwriting.ink import Ink
from kiosk.handwriting.recognizer import Recognizer
from kiosk.handwriting.samples import drawn
from kiosk.handwriting.zinnia import DEFAULT_MODEL, ZinniaEngine

pytestmark = pytest.mark.skipif(
    not DEFAULT_MODEL.is_file(),
    reason="install the Debian packages libzinnia0 and tegaki-zinnia-simplified-chinese")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("handwriting")


@pytest.fixture(scope="module")
def recognizer(models: Path) -> Recognizer:
    main = ZinniaEngine()
    return Recognizer(lambda: main, lambda: rare.open_supplement(models))


def known_to_main() -> set[str]:
    engine = ZinniaEngine()
    lib = engine._lib
    lib.zinnia_recognizer_size.restype = ctypes.c_size_t
    lib.zinnia_recognizer_size.argtypes = [ctypes.c_void_p]
    lib.zinnia_recognizer_value.restype = ctypes.c_char_p
    lib.zinnia_recognizer_value.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    try:
        return {lib.zinnia_recognizer_value(engine._rec, i).decode()
                for i in range(lib.zinnia_recognizer_size(engine._rec))}
    finally:
        engine.close()


def test_the_rare_characters_are_the_ones_the_main_model_lacks() -> None:
    known = known_to_main()
    assert len(known) == 6763  # GB 2312
    assert not rare.RARE & known
    assert "䶮" in rare.RARE  # CJK Extension A: the name of the input method's tests


def test_built_once_per_release_whole_or_not_at_all(models: Path) -> None:
    first = rare.open_supplement(models)
    built = sorted(p.name for p in models.iterdir())
    assert built == [rare.model_name()]  # no .part, no zinnia text dump left
    stamp = (models / rare.model_name()).stat().st_mtime_ns
    rare.open_supplement(models)
    assert (models / rare.model_name()).stat().st_mtime_ns == stamp  # kept, not rebuilt
    first.close()


@pytest.mark.parametrize("char", sorted(rare.RARE))
@pytest.mark.parametrize("seed", [500, 501, 502])
def test_a_written_rare_character_comes_first(recognizer: Recognizer, char: str,
                                              seed: int) -> None:
    got = recognizer.candidates(drawn(rare.variant(rare.strokes_of(char), seed)), n=5)
    assert got[0] == char, got


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(char=st.sampled_from(sorted(set(rare.training_set()) - rare.RARE)),
       seed=st.integers(1000, 100_000))
def test_common_writing_gets_no_rare_candidate(recognizer: Recognizer, char: str,
                                               seed: int) -> None:
    """What the main model knows keeps its answer: the supplement adds nothing there."""
    ink = drawn(rare.variant(rare.strokes_of(char), seed))
    got = recognizer.candidates(ink, n=10)
    assert not set(got) & rare.RARE, (char, got)


def test_without_the_trainer_handwriting_goes_on(tmp_path: Path) -> None:
    main = ZinniaEngine()

    def no_trainer() -> rare.Supplement:
        raise DeviceUnavailable("libzinnia.so.0: no symbol zinnia_trainer_new; cannot train")

    r = Recognizer(lambda: main, no_trainer)
    ink = drawn(rare.variant(rare.strokes_of("木"), 1))
    assert "木" in r.candidates(ink, n=5)
    assert "zinnia_trainer_new" in r.supplement_reason
    assert r.candidates(Ink(1000, 1000)) == []


def test_a_failed_build_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rare, "model_name", lambda: "rare-test.model")
    monkeypatch.setattr(rare.sys, "executable", "/bin/false")
    with pytest.raises(DeviceUnavailable, match="not built"):
        rare.open_supplement(tmp_path)
    assert list(tmp_path.iterdir()) == []
