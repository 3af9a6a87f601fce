"""QR codes of receipts read from camera frames."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.camera.synthetic import background
from kiosk.documents.qr import QrReader

PAYLOAD = "https://zwfw.example.cn/q?ref=XD-20261122-0042-K"


def _qr(text: str, module_px: int = 6) -> np.ndarray:
    code = cv2.QRCodeEncoder.create().encode(text)
    big = cv2.resize(code, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST)
    return np.asarray(cv2.copyMakeBorder(big, 24, 24, 24, 24, cv2.BORDER_CONSTANT, value=255),
                      np.uint8)


def _on_photo(code: np.ndarray, seed: int, angle: float) -> np.ndarray:
    """The receipt held up to the camera: tilted, in perspective, on a busy background."""
    rng = np.random.default_rng(seed)
    frame = background("clutter", (640, 480), rng)
    h, w = code.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    side = 220
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    square = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float32) * side / 2
    dst = square @ np.array([[c, -s], [s, c]], np.float32).T + np.float32([320, 240])
    dst += rng.uniform(-12, 12, (4, 2)).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    paper = cv2.warpPerspective(cv2.cvtColor(code, cv2.COLOR_GRAY2BGR), matrix, (640, 480),
                                dst=frame, borderMode=cv2.BORDER_TRANSPARENT)
    noisy = paper.astype(np.int16) + rng.normal(0, 4, paper.shape).astype(np.int16)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def test_reads_a_receipt_qr_on_a_busy_background() -> None:
    reader = QrReader()
    for seed, angle in ((0, 0.0), (1, 17.0), (2, -30.0)):
        assert reader.decode(_on_photo(_qr(PAYLOAD), seed, angle)) == PAYLOAD


def test_reads_a_small_code_by_enlarging() -> None:
    frame = np.full((480, 640, 3), 200, np.uint8)
    code = _qr("XD-20261122-0042-K", module_px=2)
    h, w = code.shape
    frame[100:100 + h, 100:100 + w] = cv2.cvtColor(code, cv2.COLOR_GRAY2BGR)
    assert QrReader().decode(frame) == "XD-20261122-0042-K"


def test_no_code_is_none() -> None:
    frame = background("wood", (640, 480), np.random.default_rng(3))
    assert QrReader().decode(frame) is None


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_noise_never_crashes(seed: int) -> None:
    noise = np.random.default_rng(seed).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    result = QrReader().decode(noise)
    assert result is None or isinstance(result, str)
