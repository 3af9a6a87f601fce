"""Handwriting recognition time per character.

Measured in one run over the recorded samples (kiosk/handwriting/samples.py), each
written ten ways (scaled, moved, shaky), and the rare name characters of the kiosk's
supplementary model (kiosk/handwriting/rare.py):
- the kiosk's path: ink collected point by point on the pad model, then
  ``Recognizer.candidates`` (10 candidates, de-duplicated; the main model and the
  rare characters' supplement);
- the bare reference: the same strokes straight into the main model's classify.
Goal: p95 <= 50 ms per character, so candidates follow the finger.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.handwriting import rare
from kiosk.handwriting.recognizer import Recognizer
from kiosk.handwriting.samples import CHARACTERS, drawn, written
from kiosk.handwriting.zinnia import ZinniaEngine
from scripts.benchmarks.common import Report, parser, percentile, run

VARIANTS = 10



def main(argv: list[str]) -> int:
    args = parser("handwriting", __doc__.splitlines()[0]).parse_args(argv)
    report = Report("handwriting")
    t0 = time.perf_counter()
    engine = ZinniaEngine()
    report.add("model open", (time.perf_counter() - t0) * 1e3, "ms")
    scratch = tempfile.TemporaryDirectory(prefix="kiosk-handwriting-")
    models = Path(scratch.name)
    t0 = time.perf_counter()
    supplement = rare.open_supplement(models)
    report.add("rare characters' model: train and open", (time.perf_counter() - t0) * 1e3,
               "ms", reference=f"{len(rare.training_set())} characters x {rare.VARIANTS}")
    recognizer = Recognizer(lambda: engine, lambda: supplement)
    ours: list[float] = []
    bare: list[float] = []
    hits = total = rare_hits = 0
    for char in sorted(CHARACTERS):
        for seed in range(VARIANTS):
            strokes = written(char, scale=0.7 + 0.02 * seed, dx=seed * 7, jitter=6, seed=seed)
            t = time.perf_counter()
            engine.classify(strokes, 1000, 1000, 10)
            bare.append((time.perf_counter() - t) * 1e3)
            t = time.perf_counter()
            got = recognizer.candidates(drawn(strokes), 10)
            ours.append((time.perf_counter() - t) * 1e3)
            total += 1
            hits += char in got[:5]
    for char in sorted(rare.RARE):
        for seed in range(VARIANTS):
            strokes = rare.variant(rare.strokes_of(char), 7000 + seed)
            t = time.perf_counter()
            got = recognizer.candidates(drawn(strokes), 10)
            ours.append((time.perf_counter() - t) * 1e3)
            rare_hits += char in got[:5]
    report.add("recognition p50", percentile(ours, 50), "ms")
    report.add("recognition p95", percentile(ours, 95), "ms", goal="<= 50")
    report.add("bare zinnia classify p95", percentile(bare, 95), "ms")
    report.add("ours / bare at p95", percentile(ours, 95) / percentile(bare, 95), "x",
               reference="bare zinnia classify")
    report.add("right character in top 5", 100.0 * hits / total, "%")
    report.add("rare name character in top 5", 100.0 * rare_hits / (len(rare.RARE) * VARIANTS),
               "%", reference=" ".join(sorted(rare.RARE)))
    report.notes.append(f"{len(CHARACTERS)} characters x {VARIANTS} writings, and "
                        f"{len(rare.RARE)} rare ones x {VARIANTS}")
    supplement.close()
    scratch.cleanup()
    return report.emit(args.json)


if __name__ == "__main__":
    run(main)
