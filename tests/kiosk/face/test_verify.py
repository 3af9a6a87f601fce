"""FaceVerifier sessions: card photo vs live frames through the real camera driver."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import numpy as np

from devices.camera.factory import make_camera
from devices.camera.opencv import OpenCVCamera
from devices.camera.scenes import FaceScene, Key, both_ways_keys, write_clip
from devices.camera.simulator import SimulatorFactory
from kiosk.clock import FakeClock
from kiosk.config.model import CameraConfig, FaceConfig
from kiosk.face import guidance as g
from kiosk.face.engine import FaceEngine
from kiosk.face.liveness import LivenessConfig
from kiosk.face.verify import (
    RESULT_LIVENESS_FAILED,
    RESULT_MATCH,
    RESULT_NO_MATCH,
    RESULT_PHOTO_UNAVAILABLE,
    RESULT_PHOTO_UNUSABLE,
    RESULT_TRY_AGAIN,
    FaceVerifier,
    Step,
)
from tests.kiosk.face import photos
from tests.kiosk.face.scenes import frame_with, head_turn_keys, portrait


def _card(engine: FaceEngine, image: photos.Image) -> photos.Image:
    face = engine.detect(image)[0]
    return photos.card_photo(image, (face.x, face.y, face.w, face.h))


def _camera(clock: FakeClock, scene: FaceScene) -> OpenCVCamera:
    camera = OpenCVCamera("face", "0", clock=clock,
                          capture_factory=SimulatorFactory(scene, clock=clock, fps=25))
    camera.open_without_thread()
    camera.enable()
    return camera


def _run(verifier: FaceVerifier, camera: OpenCVCamera, max_frames: int = 400) -> list[Step]:
    steps = []
    for _ in range(max_frames):
        frame = camera.poll_once()
        assert frame is not None
        step = verifier.feed(frame.image)
        steps.append(step)
        if step.decision is not None:
            break
    return steps


def test_match_with_the_head_turn_challenge(engine: FaceEngine,
                                            photo: Callable[[str], photos.Image]) -> None:
    clock = FakeClock()
    image = photo("grace_hopper")
    verifier = FaceVerifier(engine, _card(engine, image), FaceConfig(), clock=clock,
                            rng=random.Random(7))
    assert verifier.challenge is not None
    # the citizen walks up (no face for 0.5 s), then does what the screen asks
    keys = [Key(0.0, visible=False), *head_turn_keys(verifier.challenge.direction, 0.5)]
    camera = _camera(clock, FaceScene(portrait(engine, image), keys))
    steps = _run(verifier, camera)
    decision = steps[-1].decision
    assert decision is not None and decision.outcome == "match"
    assert decision.reason == RESULT_MATCH and decision.attempts == 1
    assert decision.score is not None and decision.score >= FaceConfig().threshold
    prompts = [s.prompt for s in steps]
    assert prompts[0] == g.NO_FACE
    assert "face.challenge.turn_left" in prompts or "face.challenge.turn_right" in prompts
    assert "face.guide.hold_still" in prompts


def _still_face(engine: FaceEngine, card: photos.Image, live: photos.Image
                ) -> tuple[list[Step], FaceVerifier, OpenCVCamera]:
    """The verifier's steps for a face that holds still (no liveness challenge), the
    verifier and the camera."""
    clock = FakeClock()
    verifier = FaceVerifier(engine, _card(engine, card), FaceConfig(liveness=False),
                            clock=clock, rng=random.Random(1))
    camera = _camera(clock, FaceScene(portrait(engine, live), [Key(0.0)]))
    return _run(verifier, camera), verifier, camera


def test_match_against_a_different_photo_of_the_same_person(
        engine: FaceEngine, photo: Callable[[str], photos.Image]) -> None:
    steps = _still_face(engine, photo("obama.jpg"), photo("obama3.jpg"))[0]
    decision = steps[-1].decision
    assert decision is not None and decision.outcome == "match"
    assert len(steps) == 5  # frames_per_attempt good frames, then the decision


def test_another_person_gets_three_attempts_then_staff(
        engine: FaceEngine, photo: Callable[[str], photos.Image]) -> None:
    steps, verifier, camera = _still_face(engine, photo("astronaut"), photo("grace_hopper"))
    decision = steps[-1].decision
    assert decision is not None
    assert (decision.outcome, decision.reason, decision.attempts) == ("staff", RESULT_NO_MATCH, 3)
    assert decision.score is not None and decision.score < FaceConfig().threshold
    retries = [s for s in steps if s.retrying]
    assert [s.attempt for s in retries] == [2, 3]
    assert all(s.prompt == RESULT_TRY_AGAIN for s in retries)
    # after the decision, more frames change nothing
    frame = camera.poll_once()
    assert frame is not None and verifier.feed(frame.image).decision == decision


def test_deny_fallback(engine: FaceEngine, photo: Callable[[str], photos.Image]) -> None:
    clock = FakeClock()
    verifier = FaceVerifier(engine, _card(engine, photo("biden.jpg")),
                            FaceConfig(liveness=False, fallback="deny", max_attempts=1),
                            clock=clock, rng=random.Random(1))
    camera = _camera(clock, FaceScene(portrait(engine, photo("obama.jpg")), [Key(0.0)]))
    decision = _run(verifier, camera)[-1].decision
    assert decision is not None and decision.outcome == "deny"


def test_no_card_photo_goes_straight_to_the_fallback(engine: FaceEngine) -> None:
    verifier = FaceVerifier(engine, None, FaceConfig(), clock=FakeClock(), rng=random.Random(1))
    assert verifier.decision is not None
    assert (verifier.decision.outcome, verifier.decision.reason) == \
        ("staff", RESULT_PHOTO_UNAVAILABLE)
    step = verifier.feed(np.zeros((480, 640, 3), np.uint8))
    assert step.decision == verifier.decision


def test_a_card_photo_without_a_face_is_unusable(engine: FaceEngine) -> None:
    blank = np.full((126, 102, 3), 200, np.uint8)
    verifier = FaceVerifier(engine, blank, FaceConfig(fallback="deny"), clock=FakeClock(),
                            rng=random.Random(1))
    assert verifier.decision is not None
    assert (verifier.decision.outcome, verifier.decision.reason) == ("deny", RESULT_PHOTO_UNUSABLE)


def test_a_photo_held_still_fails_liveness_every_attempt(
        engine: FaceEngine, photo: Callable[[str], photos.Image]) -> None:
    clock = FakeClock()
    image = photo("grace_hopper")
    verifier = FaceVerifier(engine, _card(engine, image), FaceConfig(), clock=clock,
                            rng=random.Random(1), liveness=LivenessConfig(timeout_s=1.0))
    camera = _camera(clock, FaceScene(portrait(engine, image), [Key(0.0)]))
    decision = _run(verifier, camera)[-1].decision
    assert decision is not None
    assert (decision.outcome, decision.reason) == ("staff", RESULT_LIVENESS_FAILED)
    assert decision.score is None  # never compared with the card


def test_guidance_comes_first(engine: FaceEngine, photo: Callable[[str], photos.Image]) -> None:
    image = photo("grace_hopper")
    verifier = FaceVerifier(engine, _card(engine, image), FaceConfig(liveness=False),
                            clock=FakeClock(), rng=random.Random(1))
    two = frame_with((portrait(engine, image), 0.5, 0.5, 0.4),
                     (portrait(engine, photo("astronaut")), 0.85, 0.3, 0.22))
    step = verifier.feed(two)
    assert step.prompt == g.MULTIPLE_FACES and step.decision is None


def test_wipe_zeroes_frames_and_embeddings(engine: FaceEngine,
                                           photo: Callable[[str], photos.Image]) -> None:
    image = photo("grace_hopper")
    verifier = FaceVerifier(engine, _card(engine, image), FaceConfig(liveness=False),
                            clock=FakeClock(), rng=random.Random(1), frames_per_attempt=100)
    frames = [frame_with((portrait(engine, image), 0.5, 0.45, 0.4)) for _ in range(3)]
    for frame in frames:
        assert verifier.feed(frame).prompt == "face.guide.hold_still"
    verifier.wipe()
    assert any(not frame.any() for frame in frames)  # the kept best frame was zeroed
    assert verifier._card_embedding is None
    assert verifier._candidates == []


def test_a_clip_dropped_into_the_scene_directory_passes_either_challenge(
        engine: FaceEngine, photo: Callable[[str], photos.Image], tmp_path: Path) -> None:
    """What scripts/run does: a rendered head-turn clip in the sim:dir folder."""
    image = photo("grace_hopper")
    scene = FaceScene(portrait(engine, image), both_ways_keys(), loop=True)
    write_clip(scene, tmp_path / "turning.avi", seconds=4.4)
    directions = set()
    for seed in (0, 1):  # random.Random(0) asks "right", random.Random(1) "left"
        clock = FakeClock()
        camera = make_camera(CameraConfig(source=f"sim:dir:{tmp_path}"), clock=clock)
        assert isinstance(camera, OpenCVCamera)
        camera.open_without_thread()
        camera.enable()
        verifier = FaceVerifier(engine, _card(engine, image), FaceConfig(), clock=clock,
                                rng=random.Random(seed))
        assert verifier.challenge is not None
        directions.add(verifier.challenge.direction)
        decision = _run(verifier, camera)[-1].decision
        assert decision is not None and decision.outcome == "match", (seed, decision)
    assert directions == {"left", "right"}
