"""scripts/bench vision: face guidance speed, time to a verification decision, page capture.

All on one core (``cv2.setNumThreads(1)``), as on a kiosk whose second core runs the UI.

* face detection + guidance frames per second on 640×480 frames of a package
  photo (Grace Hopper, Debian facedetect) composited into a scene; reference:
  a raw ``cv2.resize`` + ``cvtColor`` loop over the same frames (the least any
  per-frame processing costs). Goal >= 25 fps. Peer: a bare OpenCV
  ``FaceDetectorYN`` loop on the same frames and the same model file (shrink to
  320 px, detect, take the largest face and say whether it is centred and big
  enough: the least any guidance does), and the same bare loop at the full 640 px
  (what a first implementation does). Goal: ours at least as fast as the first.
* time from a face entering the picture to the verification decision, on a
  clip replayed in real time through the simulated camera, the real OpenCV
  driver and its capture thread (latest-frame semantics: slow processing drops
  frames, it does not queue them). Without the head-turn challenge the goal is
  <= 1.5 s; with it, the time includes the citizen's own movement (scripted in
  the clip), so the processing overhead after the movement is shown too.
* page detection + perspective correction on a 4000×3000 frame (goal <= 300 ms);
  reference: shrinking that frame to 1600 px and converting it to grey once.
* corner accuracy on --pages synthetic pages (default 200): the share with every
  corner within 1 % of the page diagonal (goal >= 95 %); the failures' frames are
  written to var/bench/vision-failures/ with the true (green) and found (red) outlines.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from devices.camera.opencv import OpenCVCamera
from devices.camera.scenes import FaceScene, Key, Portrait
from devices.camera.simulator import SimulatorFactory
from devices.camera.synthetic import synthetic_frame
from devices.scanner.formats import PageFormat, corner_error
from kiosk.clock import SystemClock
from kiosk.config.model import ROOT, FaceConfig
from kiosk.documents.detect import find_page
from kiosk.documents.rectify import clean, warp
from kiosk.face.engine import FaceEngine, find_model_files
from kiosk.face.guidance import assess
from kiosk.face.verify import FaceVerifier
from scripts.benchmarks.common import Report, parser, percentile, run

GRACE = Path("/usr/share/doc/facedetect/examples/grace_hopper_512x512.jpg")
FAILURES = ROOT / "var" / "bench" / "vision-failures"


def _portrait(engine: FaceEngine) -> Portrait:
    read = cv2.imread(str(GRACE))
    if read is None:
        raise SystemExit(f"{GRACE} missing: install the Debian package facedetect")
    image = np.asarray(read, np.uint8)
    face = engine.detect(image)[0]
    return Portrait(image, (face.x, face.y, face.w, face.h), face.landmarks[2])


def _card(engine: FaceEngine, portrait: Portrait) -> np.ndarray:
    x, y, w, h = portrait.face
    cx, cy, height = x + w / 2, y + h / 2, h * 1.8
    width = height * 102 / 126
    crop = portrait.image[int(cy - height / 2):int(cy + height / 2),
                          int(cx - width / 2):int(cx + width / 2)]
    return np.asarray(cv2.resize(crop, (102, 126), interpolation=cv2.INTER_AREA), np.uint8)


def face_fps(report: Report, engine: FaceEngine, portrait: Portrait, seconds: float) -> None:
    keys = [Key(0.0, cx=0.4, height=0.3), Key(1.0, cx=0.6, height=0.5), Key(2.0, cx=0.4)]
    scene = FaceScene(portrait, keys, loop=True)
    frames = [np.asarray(scene.render(i / 25), np.uint8) for i in range(50)]

    def loop(step: object, length: float = seconds) -> float:
        n = 0
        start = time.perf_counter()
        while time.perf_counter() - start < length:
            step(frames[n % len(frames)])  # type: ignore[operator]
            n += 1
        return n / (time.perf_counter() - start)

    reference = loop(lambda f: cv2.cvtColor(cv2.resize(f, (320, 240)), cv2.COLOR_BGR2GRAY))
    fps = loop(lambda f: assess(f, engine.detect(f)))
    full = FaceEngine(detect_width=None)
    fps_full = loop(lambda f: assess(f, full.detect(f)))
    report.add("face detection + guidance, 640x480", fps, "fps", ">= 25",
               f"resize+cvtColor loop {reference:.0f} fps, ratio {fps / reference:.3f}")
    report.add("  same, detecting at full 640 px", fps_full, "fps")
    peer, peer_full = bare_yunet(320), bare_yunet(None)
    report.add("peer: bare FaceDetectorYN loop, 320 px + largest face", loop(peer), "fps")
    report.add("peer: bare FaceDetectorYN loop at 640 px", loop(peer_full), "fps")
    # The ratio from short slices taken in turn, so that both see the same machine.
    ratios = [loop(lambda f: assess(f, engine.detect(f)), seconds / 5) / loop(peer, seconds / 5)
              for _ in range(5)]
    report.add("ours / peer (320 px), fps", statistics.median(ratios), "x", ">= 1",
               f"bare FaceDetectorYN loop, same frames and model; 5 slices in turn, "
               f"{min(ratios):.2f}-{max(ratios):.2f}")


def bare_yunet(width: int | None):  # type: ignore[no-untyped-def]
    """A frame step that is only OpenCV's YuNet and the least guidance."""
    model = str(find_model_files().detector[0])
    detector = cv2.FaceDetectorYN.create(model, "", (320, 320), 0.7, 0.3, 20)
    size = [(0, 0)]

    def step(frame: np.ndarray) -> tuple[bool, bool]:
        if width is not None and frame.shape[1] > width:
            frame = cv2.resize(frame, None, fx=width / frame.shape[1],
                               fy=width / frame.shape[1], interpolation=cv2.INTER_AREA)
        h, w = frame.shape[:2]
        if (w, h) != size[0]:
            detector.setInputSize((w, h))
            size[0] = (w, h)
        _, faces = detector.detect(frame)
        if faces is None:
            return False, False
        x, _y, fw, fh = max(faces, key=lambda r: r[2] * r[3])[:4]
        return abs(x + fw / 2 - w / 2) < w * 0.15, fh > h * 0.3

    return step


def decision_time(engine: FaceEngine, portrait: Portrait, liveness: bool,
                  seed: int) -> tuple[float, float]:
    """(seconds from the face entering to the decision, seconds the clip's movement takes)."""
    clock = SystemClock()
    config = FaceConfig(liveness=liveness)
    verifier = FaceVerifier(engine, _card(engine, portrait), config, clock=clock,
                            rng=random.Random(seed))
    enter = 0.5
    keys = [Key(0.0, visible=False), Key(enter)]
    movement = 0.0
    if liveness and verifier.challenge is not None:
        turn = 0.8 if verifier.challenge.direction == "left" else -0.8
        keys += [Key(enter + 0.3), Key(enter + 0.6, turn=turn), Key(enter + 0.8, turn=turn),
                 Key(enter + 1.1)]
        movement = 1.1
    keys.append(Key(enter + 30.0))
    factory = SimulatorFactory(FaceScene(portrait, keys), clock=clock, fps=25)
    camera = OpenCVCamera("face", "0", clock=clock, capture_factory=factory, fps=25)
    camera.open()
    camera.enable()
    try:
        seq = 0
        deadline = clock.monotonic() + 15
        while clock.monotonic() < deadline:
            frame = camera.latest(timeout=2.0, after_seq=seq)
            seq = frame.seq
            step = verifier.feed(frame.image)
            if step.decision is not None:
                if step.decision.outcome != "match":
                    raise SystemExit(f"clip did not verify: {step.decision}")
                return clock.monotonic() - (factory.captures[0].started_at + enter), movement
        raise SystemExit("no decision within 15 s")
    finally:
        camera.close()
        verifier.wipe()


def page_time(report: Report, runs: int) -> None:
    sample = synthetic_frame(7, size=(4000, 3000), fmt=PageFormat.A4)
    frame = sample.frame
    reference, timings, cleanup = [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        cv2.cvtColor(cv2.resize(frame, (1600, 1200), interpolation=cv2.INTER_AREA),
                     cv2.COLOR_BGR2GRAY)
        reference.append(time.perf_counter() - start)
        start = time.perf_counter()
        quad = find_page(frame)
        if quad is None:
            raise SystemExit("no page found in the 4000x3000 frame")
        page = warp(frame, quad.corners, PageFormat.A4, dpi=200)
        timings.append(time.perf_counter() - start)
        start = time.perf_counter()
        clean(page)
        cleanup.append(time.perf_counter() - start)
    median, ref = statistics.median(timings), statistics.median(reference)
    report.add("page detection + correction, 4000x3000 -> A4 200 dpi", median * 1000, "ms",
               "<= 300", f"resize to 1600 px + grey {ref * 1000:.0f} ms, "
               f"ratio {median / ref:.2f}")
    report.add("  shadow cleanup of that page", statistics.median(cleanup) * 1000, "ms")


def corner_accuracy(report: Report, pages: int) -> None:
    errors, failures = [], []
    for seed in range(pages):
        sample = synthetic_frame(seed)
        quad = find_page(sample.frame)
        error = 1.0 if quad is None else corner_error(quad.corners, sample.corners)
        errors.append(error)
        if error > 0.01:
            failures.append(f"seed {seed} ({sample.background}): "
                            f"{'no page' if quad is None else f'{error:.2%}'}")
            FAILURES.mkdir(parents=True, exist_ok=True)
            picture = sample.frame.copy()
            cv2.polylines(picture, [sample.corners.astype(np.int32)], True, (0, 255, 0), 3)
            if quad is not None:
                cv2.polylines(picture, [quad.corners.astype(np.int32)], True, (0, 0, 255), 3)
            cv2.imwrite(str(FAILURES / f"seed-{seed:04d}.jpg"), picture)
    share = sum(e <= 0.01 for e in errors) / len(errors)
    report.add(f"pages with corner error <= 1 % of diagonal ({pages} pages)", share * 100, "%",
               ">= 95")
    report.add("  corner error, median", statistics.median(errors) * 100, "% of diagonal")
    report.add("  corner error, p95", percentile(errors, 95) * 100, "% of diagonal")
    report.notes.append("failures: " + ("; ".join(failures) if failures else "none")
                        + (f" (images in {FAILURES})" if failures else ""))


def main(argv: list[str]) -> int:
    p = parser("vision", __doc__ or "")
    p.add_argument("--pages", type=int, default=200)
    p.add_argument("--runs", type=int, default=3, help="repetitions of the timed clips")
    p.add_argument("--seconds", type=float, default=3.0, help="length of each fps loop")
    args = p.parse_args(argv)
    cv2.setNumThreads(1)
    report = Report("vision")
    engine = FaceEngine()
    portrait = _portrait(engine)
    face_fps(report, engine, portrait, args.seconds)
    plain = [decision_time(engine, portrait, False, i)[0] for i in range(args.runs)]
    report.add("face enters -> decision (no head-turn challenge)", statistics.median(plain),
               "s", "<= 1.5", f"median of {args.runs} real-time replays; worst {max(plain):.2f} s")
    timed = [decision_time(engine, portrait, True, i) for i in range(args.runs)]
    total = statistics.median(t for t, _ in timed)
    movement = timed[0][1]
    report.add("face enters -> decision, with head-turn challenge", total, "s", "",
               f"includes {movement:.1f} s of scripted head movement")
    report.add("  processing after the movement ends", total - movement, "s", "<= 1.5")
    page_time(report, args.runs + 2)
    corner_accuracy(report, args.pages)
    return report.emit(args.json)


if __name__ == "__main__":
    run(main)
