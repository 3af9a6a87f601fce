"""Page detection on synthetic document-camera frames with ground truth."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.camera.synthetic import background, synthetic_frame
from devices.scanner.formats import PageFormat, corner_error, order_corners
from kiosk.documents.detect import find_page

PAGES = 60


def test_corner_error_within_one_percent_on_95_percent_of_pages() -> None:
    """The bounded version of `scripts/bench vision` (which runs 200+ pages)."""
    errors = {}
    for seed in range(1000, 1000 + PAGES):
        sample = synthetic_frame(seed, size=(1280, 960))
        quad = find_page(sample.frame)
        errors[seed] = 1.0 if quad is None else corner_error(quad.corners, sample.corners)
    good = sum(e <= 0.01 for e in errors.values())
    failures = {s: round(e, 4) for s, e in errors.items() if e > 0.01}
    assert good >= 0.95 * PAGES, f"failed seeds (regenerate with synthetic_frame): {failures}"


def test_every_background_and_the_id_card() -> None:
    for seed, fmt in ((0, PageFormat.A4), (1, PageFormat.A5), (2, PageFormat.ID_CARD)):
        sample = synthetic_frame(seed, fmt=fmt)
        quad = find_page(sample.frame)
        assert quad is not None, sample.background
        assert corner_error(quad.corners, sample.corners) <= 0.01


def test_an_empty_desk_has_no_page() -> None:
    for seed, kind in enumerate(("wood", "cloth")):
        desk = background(kind, (1280, 960), np.random.default_rng(seed))
        assert find_page(desk) is None, kind


def test_order_corners_handles_rotation() -> None:
    square = np.array([[10, 10], [110, 10], [110, 110], [10, 110]], np.float32)
    for shift in range(4):
        assert np.array_equal(order_corners(np.roll(square, shift, axis=0)), square)
    rotated = np.array([[60, 0], [120, 60], [60, 120], [0, 60]], np.float32)
    assert corner_error(order_corners(rotated[::-1]), rotated) == 0.0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), width=st.integers(16, 400), height=st.integers(16, 300))
def test_any_picture_gives_a_quad_or_none(seed: int, width: int, height: int) -> None:
    noise = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    picture = cv2.GaussianBlur(noise, (0, 0), 3) if seed % 2 else noise
    quad = find_page(np.asarray(picture, np.uint8))
    if quad is not None:
        assert quad.corners.shape == (4, 2)
        assert 0.0 <= quad.support <= 1.0
