"""The head-turn challenge on synthetic sequences built from package photos."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from devices.camera.scenes import FaceScene, Key, Portrait
from kiosk.clock import FakeClock
from kiosk.face.engine import FaceEngine
from kiosk.face.liveness import (
    FAILED_SWITCHED,
    FAILED_TIMEOUT,
    PROMPT_BACK,
    PROMPT_LEFT,
    PROMPT_LOOK,
    PROMPT_RIGHT,
    HeadTurnChallenge,
    LivenessConfig,
    Phase,
)
from tests.kiosk.face import photos
from tests.kiosk.face.scenes import head_turn_keys, portrait

FPS = 25


def _run(engine: FaceEngine, challenge: HeadTurnChallenge, clock: FakeClock,
         scene: FaceScene, seconds: float) -> list[str]:
    prompts: list[str] = []
    t0 = clock.monotonic()
    for _ in range(int(seconds * FPS)):
        frame = scene.render(clock.monotonic() - t0)
        faces = engine.detect(frame)
        face = faces[0] if len(faces) == 1 else None
        embedding = engine.embed(frame, face) if face and challenge.needs_embedding(face) \
            else None
        challenge.feed(face, embedding)
        if not prompts or prompts[-1] != challenge.prompt:
            prompts.append(challenge.prompt)
        if challenge.done:
            break
        clock.advance(1 / FPS)
    return prompts


@pytest.mark.parametrize("seed", [1, 2])
def test_a_live_head_turn_in_the_asked_direction_passes(
        engine: FaceEngine, photo: Callable[[str], photos.Image], seed: int) -> None:
    clock = FakeClock()
    challenge = HeadTurnChallenge(clock=clock, rng=random.Random(seed))
    scene = FaceScene(portrait(engine, photo("grace_hopper")),
                      head_turn_keys(challenge.direction))
    prompts = _run(engine, challenge, clock, scene, seconds=5)
    assert challenge.phase is Phase.PASSED
    turn = PROMPT_LEFT if challenge.direction == "left" else PROMPT_RIGHT
    # the baseline is taken on the first frontal frame, so "turn" is the first prompt seen
    assert prompts[:2] == [turn, PROMPT_BACK]
    assert challenge.prompt == PROMPT_LOOK


def test_both_directions_are_drawn() -> None:
    clock = FakeClock()
    directions = {HeadTurnChallenge(clock=clock, rng=random.Random(s)).direction
                  for s in range(20)}
    assert directions == {"left", "right"}


def test_turning_the_wrong_way_times_out(engine: FaceEngine,
                                         photo: Callable[[str], photos.Image]) -> None:
    clock = FakeClock()
    challenge = HeadTurnChallenge(clock=clock, rng=random.Random(1),
                                  config=LivenessConfig(timeout_s=4.0))
    wrong = "right" if challenge.direction == "left" else "left"
    scene = FaceScene(portrait(engine, photo("grace_hopper")), head_turn_keys(wrong))
    _run(engine, challenge, clock, scene, seconds=6)
    assert challenge.phase is Phase.FAILED
    assert challenge.prompt == FAILED_TIMEOUT


def test_a_photo_held_still_times_out(engine: FaceEngine,
                                      photo: Callable[[str], photos.Image]) -> None:
    clock = FakeClock()
    challenge = HeadTurnChallenge(clock=clock, rng=random.Random(3),
                                  config=LivenessConfig(timeout_s=3.0))
    # a printed photo moved about and tilted, but never turning like a head
    keys = [Key(0.0, cx=0.45), Key(1.0, cx=0.55, height=0.45), Key(2.0, cx=0.5, height=0.38),
            Key(10.0)]
    scene = FaceScene(portrait(engine, photo("obama.jpg")), keys)
    _run(engine, challenge, clock, scene, seconds=5)
    assert challenge.phase is Phase.FAILED and challenge.failure == FAILED_TIMEOUT


def test_another_face_taking_over_fails(engine: FaceEngine,
                                        photo: Callable[[str], photos.Image]) -> None:
    clock = FakeClock()
    challenge = HeadTurnChallenge(clock=clock, rng=random.Random(1))
    first = portrait(engine, photo("grace_hopper"))
    other = portrait(engine, photo("astronaut"))

    class Swap:
        """Grace Hopper on the left for 1 s, then the astronaut on the right."""

        def __init__(self, a: Portrait, b: Portrait) -> None:
            self.a = FaceScene(a, [Key(0.0, cx=0.3)])
            self.b = FaceScene(b, [Key(0.0, cx=0.7)])

        def render(self, t: float) -> photos.Image:
            return self.a.render(t) if t < 1.0 else self.b.render(t)

    _run(engine, challenge, clock, Swap(first, other), seconds=3)  # type: ignore[arg-type]
    assert challenge.phase is Phase.FAILED and challenge.failure == FAILED_SWITCHED


def test_no_face_frames_do_not_fail_but_the_timeout_bounds_them() -> None:
    clock = FakeClock()
    challenge = HeadTurnChallenge(clock=clock, rng=random.Random(0),
                                  config=LivenessConfig(timeout_s=2.0))
    assert challenge.feed(None) is Phase.BASELINE
    clock.advance(2.1)
    assert challenge.feed(None) is Phase.FAILED
