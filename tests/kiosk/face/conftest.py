"""Fixtures: one face engine per test session, and the package photos (skip if unobtainable)."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import pytest

from kiosk.face.engine import FaceEngine
from tests.kiosk.face import photos


@pytest.fixture(scope="session")
def engine() -> FaceEngine:
    cv2.setNumThreads(1)  # two cores shared by the whole suite
    return FaceEngine()


@pytest.fixture(scope="session")
def photo() -> Callable[[str], photos.Image]:
    """photo("grace_hopper"), photo("astronaut"), photo("obama.jpg"), ..."""

    def get(name: str) -> photos.Image:
        try:
            if name == "grace_hopper":
                return photos.grace_hopper()
            if name == "astronaut":
                return photos.astronaut()
            return photos.face_recognition_photo(name)
        except photos.PhotoUnavailable as reason:
            pytest.skip(f"test photo {name} unavailable: {reason}")

    return get
