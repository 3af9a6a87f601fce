"""Rectification, cleanup and the checks that tell the citizen what to fix."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from devices.camera.synthetic import synthetic_frame
from devices.scanner.formats import PageFormat
from kiosk.documents import quality as q
from kiosk.documents.rectify import binarise, clean, rectify

SEEDS = (0, 1, 4, 6)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_good_capture_has_no_keys_and_is_rectified_to_a4(seed: int) -> None:
    sample = synthetic_frame(seed, fmt=PageFormat.A4)
    capture = q.capture_page(sample.frame, PageFormat.A4)
    assert capture.keys == ()
    assert capture.page is not None
    expected = PageFormat.A4.pixels(200, landscape=capture.quad is not None
                                    and capture.quad.landscape)
    assert capture.page.shape[1::-1] == expected


def test_the_rectified_page_matches_what_was_printed() -> None:
    sample = synthetic_frame(4, fmt=PageFormat.A4)
    # with cleanup: the lighting gradient and shadow are gone, only the print is left
    capture = q.capture_page(sample.frame, PageFormat.A4)
    assert capture.page is not None and capture.quad is not None
    assert not capture.quad.landscape
    h, w = sample.page.shape[:2]

    def soft(image: np.ndarray) -> np.ndarray:
        grey = cv2.cvtColor(cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA),
                            cv2.COLOR_BGR2GRAY)
        return np.asarray(cv2.GaussianBlur(grey, (0, 0), 4), np.float32).ravel()

    assert float(np.corrcoef(soft(capture.page), soft(sample.page))[0, 1]) > 0.95


def test_id_card_format_is_guessed() -> None:
    sample = synthetic_frame(2, fmt=PageFormat.ID_CARD)
    capture = q.capture_page(sample.frame)
    assert capture.format is PageFormat.ID_CARD
    assert capture.page is not None
    h, w = capture.page.shape[:2]
    assert max(h, w) / min(h, w) == pytest.approx(85.6 / 54, rel=0.01)


@pytest.mark.parametrize("seed", SEEDS)
def test_blurred(seed: int) -> None:
    sample = synthetic_frame(seed, fmt=PageFormat.A4)
    blurred = np.asarray(cv2.GaussianBlur(sample.frame, (0, 0), 2.5), np.uint8)
    assert q.capture_page(blurred, PageFormat.A4).keys == (q.BLURRED,)


def test_too_dark() -> None:
    sample = synthetic_frame(1, fmt=PageFormat.A4)
    dark = (sample.frame * 0.3).astype(np.uint8)
    assert q.capture_page(dark, PageFormat.A4).keys[0] == q.TOO_DARK


def test_glare() -> None:
    sample = synthetic_frame(1, fmt=PageFormat.A4)
    frame = sample.frame.copy()
    cx, cy = sample.corners.mean(axis=0)
    cv2.ellipse(frame, (int(cx), int(cy)), (70, 40), 20, 0, 360, (255, 255, 255), -1)
    assert q.GLARE in q.capture_page(frame, PageFormat.A4).keys


def test_cut_off_at_the_edge() -> None:
    sample = synthetic_frame(1, fmt=PageFormat.A4)
    # shift the picture so the page runs off the left edge
    left = int(sample.corners[:, 0].min())
    shifted = np.roll(sample.frame, -left - 40, axis=1)
    shifted[:, -left - 40:] = sample.frame[:, :1].mean(axis=(0, 1))
    assert q.capture_page(shifted, PageFormat.A4).keys[0] == q.CUT_OFF


def test_too_small() -> None:
    sample = synthetic_frame(6, fmt=PageFormat.A4)
    h, w = sample.frame.shape[:2]
    desk = np.asarray(cv2.resize(sample.frame[:40, :40], (w * 2, h * 2)), np.uint8)
    desk[h // 2:h // 2 + h, w // 2:w // 2 + w] = sample.frame
    small = np.asarray(cv2.resize(desk, (w, h), interpolation=cv2.INTER_AREA), np.uint8)
    keys = q.capture_page(small, PageFormat.A4).keys
    assert q.TOO_SMALL in keys


def test_no_page() -> None:
    desk = np.full((960, 1280, 3), 90, np.uint8)
    capture = q.capture_page(desk)
    assert capture.keys == (q.NO_PAGE,) and capture.page is None


def test_cleanup_evens_out_a_shadow() -> None:
    page = np.full((800, 600, 3), 235, np.uint8)
    cv2.putText(page, "TEXT", (100, 400), cv2.FONT_HERSHEY_SIMPLEX, 3, (20, 20, 20), 6)
    gain = np.ones((800, 600), np.float32)
    gain[:, :300] = 0.55  # a shadow over the left half
    shaded = (page * cv2.GaussianBlur(gain, (0, 0), 15)[..., None]).astype(np.uint8)
    flat = clean(shaded)
    paper = page[:, :, 0] == 235
    assert float(shaded[paper].std()) > 30
    assert float(flat[paper].std()) < 12
    assert flat[paper].mean() > 230
    ink = page[:, :, 0] == 20
    assert flat[ink].mean() < 120  # the ink survives


def test_binarise_is_black_and_white() -> None:
    sample = synthetic_frame(0, fmt=PageFormat.A4)
    capture = q.capture_page(sample.frame, PageFormat.A4)
    assert capture.quad is not None
    binary = rectify(sample.frame, capture.quad, PageFormat.A4, binary=True)
    assert binary.ndim == 2
    assert set(np.unique(binary).tolist()) <= {0, 255}
    assert 0.005 < float((binary == 0).mean()) < 0.3  # text, not a black page
    assert binarise(binary).shape == binary.shape
