"""Rare name characters that the Simplified Chinese model does not know, written by hand.

Debian's zinnia model knows the 6,763 characters of GB 2312. Names carry others: 䶮
(CJK Extension A) of 王䶮, 喆, 垚. For those the kiosk trains a small supplementary
model of its own with zinnia's trainer, from stroke sequences composed out of
components written in the standard order, the way the characters are built:
``⿱`` one above the other, ``⿰`` side by side.

Common characters are trained beside the rare ones as counter-examples (the samples
of :mod:`kiosk.handwriting.samples`, the components, look-alikes such as 圭 for 垚), and
only the rare characters ever leave the supplement: the main model answers for
everything else (see :class:`kiosk.handwriting.recognizer.Recognizer`).

The model is built on first use into the data directory, named by a hash of its data
(a release with more characters builds a new one), in a child process, because
zinnia's trainer prints its progress on standard output::

    python -m kiosk.handwriting.rare build PATH
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import random
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.errors import DeviceUnavailable
from kiosk.handwriting.samples import CHARACTERS, Stroke, densify
from kiosk.handwriting.zinnia import DEFAULT_LIBRARY, Candidate, ZinniaEngine, load_library

#: Components not among the samples: 1000 x 1000, y down, standard stroke order.
COMPONENTS: dict[str, list[Stroke]] = {
    "士": [[(150, 330), (850, 330)], [(500, 100), (500, 780)], [(270, 800), (730, 800)]],
    "天": [[(300, 230), (700, 230)], [(170, 470), (830, 470)],
           [(500, 235), (500, 470), (420, 690), (200, 890)],
           [(520, 500), (680, 710), (860, 870)]],
    "龙": [[(180, 330), (820, 330)], [(470, 100), (460, 420), (380, 650), (180, 860)],
           [(380, 420), (380, 800), (430, 850), (820, 850), (850, 760)],
           [(760, 450), (600, 620)], [(650, 140), (720, 240)]],
    **CHARACTERS,
}

#: How characters are built: (layout, part, part[, part]) with parts components or
#: characters composed before them.
COMPOSED: dict[str, tuple[str, ...]] = {
    "吉": ("⿱", "士", "口"),
    "圭": ("⿱", "土", "土"),
    "䶮": ("⿱", "龙", "天"),
    "喆": ("⿰", "吉", "吉"),
    "垚": ("⿱", "土", "⿰土土"),
}

#: What the supplement contributes to the candidates (names' characters outside GB 2312).
RARE = frozenset({"䶮", "喆", "垚"})

#: Variants of each character trained (an unsteady hand, written smaller or off-centre).
VARIANTS = 16


def _box(strokes: list[Stroke], x0: float, y0: float, x1: float, y1: float) -> list[Stroke]:
    return [[(round(x0 + x * (x1 - x0) / 1000), round(y0 + y * (y1 - y0) / 1000))
             for x, y in s] for s in strokes]


def strokes_of(char: str) -> list[Stroke]:
    """``char``'s strokes on the 1000 x 1000 pad, composed where it is composed."""
    if len(char) == 3 and char[0] in "⿰⿱":  # an inline part: ⿰土土
        return _compose((char[0], char[1], char[2]))
    if char in COMPOSED:
        return _compose(COMPOSED[char])
    return [list(s) for s in COMPONENTS[char]]


def _compose(spec: tuple[str, ...]) -> list[Stroke]:
    layout, *parts = spec
    n = len(parts)
    out: list[Stroke] = []
    for i, part in enumerate(parts):
        lo, hi = 30 + i * 940 / n, 30 + (i + 1) * 940 / n
        if layout == "⿱":
            out += _box(strokes_of(part), 60, lo + 10, 940, hi - 10)
        else:
            out += _box(strokes_of(part), lo + 10, 60, hi - 10, 940)
    return out


def variant(strokes: list[Stroke], seed: int) -> list[Stroke]:
    """The strokes as one hand writes them: scaled, moved, corners a little off."""
    rng = random.Random(seed)
    scale = rng.uniform(0.78, 1.05)
    dx, dy = rng.randint(-60, 60), rng.randint(-60, 60)
    out = []
    for s in strokes:
        bent = [(x + rng.randint(-25, 25), y + rng.randint(-25, 25)) for x, y in s]
        out.append([(round(500 + (x - 500) * scale + dx), round(500 + (y - 500) * scale + dy))
                    for x, y in densify(bent)])
    return out


def training_set() -> dict[str, list[Stroke]]:
    """Every character the supplement is trained on, with its strokes."""
    chars = dict.fromkeys([*COMPONENTS, *COMPOSED])
    return {c: strokes_of(c) for c in chars}


def model_name() -> str:
    """The model's file name: a hash of everything it is trained from."""
    data = json.dumps([training_set(), VARIANTS], sort_keys=True, ensure_ascii=False)
    return f"rare-{hashlib.sha256(data.encode()).hexdigest()[:16]}.model"


_TRAINER: dict[str, tuple[object, list[object]]] = {
    "zinnia_trainer_new": (ctypes.c_void_p, []),
    "zinnia_trainer_destroy": (None, [ctypes.c_void_p]),
    "zinnia_trainer_add": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p]),
    "zinnia_trainer_train": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
    "zinnia_trainer_strerror": (ctypes.c_char_p, [ctypes.c_void_p]),
    "zinnia_character_set_value": (None, [ctypes.c_void_p, ctypes.c_char_p]),
}


def train(path: Path, library: str = DEFAULT_LIBRARY) -> None:
    """Train the supplement into ``path`` (zinnia writes its text form beside it)."""
    lib = load_library(library)
    for symbol, (restype, argtypes) in _TRAINER.items():
        fn = getattr(lib, symbol, None)
        if fn is None:
            raise DeviceUnavailable(f"{library}: no symbol {symbol}; cannot train")
        fn.restype, fn.argtypes = restype, argtypes
    trainer = lib.zinnia_trainer_new()
    try:
        for char, strokes in training_set().items():
            for seed in range(VARIANTS):
                c = lib.zinnia_character_new()
                try:
                    lib.zinnia_character_set_value(c, char.encode())
                    lib.zinnia_character_set_width(c, 1000)
                    lib.zinnia_character_set_height(c, 1000)
                    for stroke_id, stroke in enumerate(variant(strokes, seed)):
                        for x, y in stroke:
                            lib.zinnia_character_add(c, stroke_id, x, y)
                    if not lib.zinnia_trainer_add(trainer, c):
                        raise DeviceUnavailable(f"zinnia trainer refused {char}")
                finally:
                    lib.zinnia_character_destroy(c)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not lib.zinnia_trainer_train(trainer, str(path).encode()):
            reason = (lib.zinnia_trainer_strerror(trainer) or b"").decode("utf-8", "replace")
            raise DeviceUnavailable(f"zinnia could not train the rare characters: {reason}")
    finally:
        lib.zinnia_trainer_destroy(trainer)


class Supplement:
    """The supplementary model as an engine that answers with rare characters only,
    and only those it is sure of (a positive score: what it was trained on scores
    about +1, anything else about -1)."""

    #: the least score a rare character needs to be offered
    SURE = 0.0

    def __init__(self, engine: ZinniaEngine) -> None:
        self.engine = engine

    def classify(self, strokes: Sequence[Sequence[tuple[int, int]]], width: int, height: int,
                 n: int = 10) -> list[Candidate]:
        found = self.engine.classify(strokes, width, height, n)
        return [c for c in found if c.char in RARE and c.score > self.SURE]

    def close(self) -> None:
        self.engine.close()


def open_supplement(directory: Path, timeout_s: float = 60.0) -> Supplement:
    """The supplement, trained first if this release's model is not there yet.
    DeviceUnavailable says why not (handwriting then goes on with the main model)."""
    path = directory / model_name()
    if not path.is_file():
        partial = path.with_name(path.name + ".part")
        try:
            done = subprocess.run([sys.executable, "-m", "kiosk.handwriting.rare", "build",
                                   str(partial)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, timeout=timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DeviceUnavailable(f"rare characters' model not built: {exc}") from exc
        if done.returncode != 0 or not partial.is_file():
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise DeviceUnavailable(f"rare characters' model not built: {tail[0]}")
        partial.replace(path)  # whole or not at all
        partial.with_name(partial.name + ".txt").unlink(missing_ok=True)
    return Supplement(ZinniaEngine(path))


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "build":
        print("usage: python -m kiosk.handwriting.rare build PATH", file=sys.stderr)
        return 2
    train(Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
