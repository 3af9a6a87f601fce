"""Guidance keys for blurred, dark, bright, off-centre, far, close, turned and two-face frames."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import pytest

from kiosk.face import guidance as g
from kiosk.face.engine import FaceEngine
from tests.kiosk.face import photos
from tests.kiosk.face.scenes import frame_with, office_background, portrait

PHOTOS = ("grace_hopper", "astronaut", "obama.jpg", "biden.jpg")


def _keys(engine: FaceEngine, frame: photos.Image) -> tuple[str, ...]:
    return g.assess(frame, engine.detect(frame)).keys


@pytest.mark.parametrize("name", PHOTOS)
def test_a_good_frame_has_no_guidance(engine: FaceEngine,
                                      photo: Callable[[str], photos.Image], name: str) -> None:
    frame = frame_with((portrait(engine, photo(name)), 0.5, 0.45, 0.4))
    assert _keys(engine, frame) == ()


@pytest.mark.parametrize("name", PHOTOS)
def test_blurred_dark_bright(engine: FaceEngine, photo: Callable[[str], photos.Image],
                             name: str) -> None:
    frame = frame_with((portrait(engine, photo(name)), 0.5, 0.45, 0.4))
    blurred = np.asarray(cv2.GaussianBlur(frame, (0, 0), 2.5), np.uint8)
    assert _keys(engine, blurred) == (g.BLURRED,)
    dark = (frame * 0.3).astype(np.uint8)
    assert _keys(engine, dark)[0] == g.TOO_DARK
    bright = np.clip(frame.astype(np.int16) + 120, 0, 255).astype(np.uint8)
    assert g.TOO_BRIGHT in _keys(engine, bright)


def test_off_centre_far_close(engine: FaceEngine, photo: Callable[[str], photos.Image]) -> None:
    p = portrait(engine, photo("grace_hopper"))
    assert _keys(engine, frame_with((p, 0.2, 0.45, 0.4))) == (g.OFF_CENTRE,)
    assert _keys(engine, frame_with((p, 0.5, 0.85, 0.25))) == (g.OFF_CENTRE,)
    assert _keys(engine, frame_with((p, 0.5, 0.45, 0.15)))[0] == g.TOO_FAR
    assert _keys(engine, frame_with((p, 0.5, 0.5, 0.9)))[0] == g.TOO_CLOSE


def test_two_faces_is_a_privacy_warning(engine: FaceEngine,
                                        photo: Callable[[str], photos.Image]) -> None:
    citizen = portrait(engine, photo("grace_hopper"))
    onlooker = portrait(engine, photo("astronaut"))
    frame = frame_with((citizen, 0.5, 0.5, 0.4), (onlooker, 0.85, 0.3, 0.22))
    assessment = g.assess(frame, engine.detect(frame))
    assert assessment.faces == 2
    assert assessment.keys[0] == g.MULTIPLE_FACES
    # the citizen (largest face) is the one measured
    assert assessment.face is not None and abs(assessment.face.centre[0] - 320) < 40


def test_a_tiny_face_far_behind_is_not_a_second_person(
        engine: FaceEngine, photo: Callable[[str], photos.Image]) -> None:
    citizen = portrait(engine, photo("grace_hopper"))
    onlooker = portrait(engine, photo("astronaut"))
    frame = frame_with((citizen, 0.5, 0.5, 0.4), (onlooker, 0.9, 0.15, 0.07))
    assert g.MULTIPLE_FACES not in _keys(engine, frame)


def test_no_face(engine: FaceEngine) -> None:
    frame = np.asarray(office_background((640, 480)), np.uint8)
    assert _keys(engine, frame) == (g.NO_FACE,)


def test_turned_head(engine: FaceEngine, photo: Callable[[str], photos.Image]) -> None:
    p = portrait(engine, photo("grace_hopper"))
    assert g.TURNED in _keys(engine, frame_with((p, 0.5, 0.45, 0.4), turn=1.0))


def test_frame_quality_prefers_sharp_frontal_near(
        engine: FaceEngine, photo: Callable[[str], photos.Image]) -> None:
    p = portrait(engine, photo("obama.jpg"))
    good = frame_with((p, 0.5, 0.45, 0.45))
    variants = {
        "good": good,
        "blurred": np.asarray(cv2.GaussianBlur(good, (0, 0), 2.0), np.uint8),
        "turned": frame_with((p, 0.5, 0.45, 0.45), turn=1.0),
        "small": frame_with((p, 0.5, 0.45, 0.2)),
    }
    scores = {}
    for name, frame in variants.items():
        face = engine.detect(frame)[0]
        scores[name] = g.frame_quality(g.measure(frame, face))
    assert max(scores, key=lambda k: scores[k]) == "good"
    assert all(0.0 <= s <= 1.0 for s in scores.values())
