"""人证比对 through the simulated terminal: the card's test photo travels through the
SAM pty into the real reader, the face camera's scene through the real OpenCV
driver, and the real verifier decides: the card holder matches, another person
does not (fallback to staff after the attempts)."""

from __future__ import annotations

import random
import threading

import cv2
import numpy as np
import pytest

from devices.camera.base import Camera, Image
from devices.idcard.base import CardEvent, CardInserted, IdCardReader
from kiosk.clock import SystemClock
from kiosk.face.engine import FaceEngine
from kiosk.face.verify import Decision, FaceVerifier
from kiosk.wiring.devices import DeviceSet
from simenv.environment import SimEnvironment
from tests.waiting import WAIT_S, wait_until

MAX_FRAMES = 600


def read_card_photo(env: SimEnvironment, reader: IdCardReader) -> Image:
    events: list[CardEvent] = []
    got = threading.Event()
    reader.add_card_listener(lambda e: (events.append(e), got.set()))
    reader.enable()
    env.place_card("resident")
    assert got.wait(WAIT_S) and isinstance(events[0], CardInserted), events
    inserted = events[0]
    assert inserted.photo_reason is None and inserted.identity.photo_bmp
    photo = cv2.imdecode(np.frombuffer(inserted.identity.photo_bmp, np.uint8), cv2.IMREAD_COLOR)
    assert photo is not None and photo.shape[:2] == (126, 102)
    return np.asarray(photo, np.uint8)


def show(env: SimEnvironment, camera: Camera, name: str) -> None:
    """Switch the face camera's scene and wait until the driver delivers it."""
    before = camera.latest(timeout=WAIT_S).image.astype(np.int16)
    env.camera_scene("camera", name)
    assert wait_until(lambda: float(np.abs(
        camera.latest(timeout=WAIT_S).image.astype(np.int16) - before).mean()) > 6)


def verify(engine: FaceEngine, photo: Image, camera: Camera, env: SimEnvironment,
           *, liveness: bool = False) -> Decision:
    config = env.config().face.model_copy(update={"liveness": liveness})
    verifier = FaceVerifier(engine, photo, config, clock=SystemClock(), rng=random.Random(3))
    seq = 0
    for _ in range(MAX_FRAMES):
        frame = camera.latest(timeout=WAIT_S, after_seq=seq)
        seq = frame.seq
        step = verifier.feed(frame.image)
        if step.decision is not None:
            return step.decision
    pytest.fail(f"no decision after {MAX_FRAMES} frames")


def test_card_holder_matches_and_another_person_does_not(env: SimEnvironment,
                                                         devices: DeviceSet) -> None:
    if env.scenes is None or env.scenes.card_photo is None:
        pytest.skip("no face photos available offline (facedetect / scikit-image)")
    reader, camera = devices["idcard"], devices["camera"]
    assert isinstance(reader, IdCardReader) and isinstance(camera, Camera)
    photo = read_card_photo(env, reader)
    engine = FaceEngine()
    camera.enable()
    try:
        show(env, camera, "holder")
        match = verify(engine, photo, camera, env)
        assert match.outcome == "match", match
        assert match.score is not None and match.score >= env.config().face.threshold
        # With the head-turn challenge: a clip of the holder turning both ways passes.
        show(env, camera, "holder_live")
        live = verify(engine, photo, camera, env, liveness=True)
        assert live.outcome == "match", live
        show(env, camera, "other")
        other = verify(engine, photo, camera, env)
        assert other.outcome == "staff" and other.reason == "face.result.no_match", other
        for scene, faces in (("two", 2), ("none", 0)):
            show(env, camera, scene)
            assert len(engine.detect(camera.latest(timeout=WAIT_S).image)) == faces, scene
    finally:
        camera.disable()
        env.camera_scene("camera", "none")
        env.remove_card()
