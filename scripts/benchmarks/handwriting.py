"""Handwriting recognition time per character.

Measured in one run over the recorded samples (kiosk/handwriting/samples.py), each
written ten ways (scaled, moved, shaky):
- the kiosk's path: ink collected point by point on the pad model, then
  ``Recognizer.candidates`` (10 candidates, de-duplicated);
- the bare reference: the same strokes straight into zinnia's classify.
Goal: p95 <= 50 ms per character, so candidates follow the finger.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

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
    recognizer = Recognizer(lambda: engine)
    ours: list[float] = []
    bare: list[float] = []
    hits = total = 0
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
    report.add("recognition p50", percentile(ours, 50), "ms")
    report.add("recognition p95", percentile(ours, 95), "ms", goal="<= 50")
    report.add("bare zinnia classify p95", percentile(bare, 95), "ms")
    report.add("ours / bare at p95", percentile(ours, 95) / percentile(bare, 95), "x",
               reference="bare zinnia classify")
    report.add("right character in top 5", 100.0 * hits / total, "%")
    report.notes.append(f"{len(CHARACTERS)} characters x {VARIANTS} writings")
    return report.emit(args.json)


if __name__ == "__main__":
    run(main)
