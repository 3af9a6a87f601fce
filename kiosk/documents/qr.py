"""QR codes on receipts, read from a camera frame (progress queries).

``cv2.QRCodeDetector`` first; then OpenCV's ArUco-based detector
(``QRCodeDetectorAruco``, better with perspective and small codes); then both
again on a 2× enlarged grey copy for codes that fill only a few dozen pixels.
WeChat's CNN detector (``cv2.wechat_qrcode``) is used when the OpenCV build has
it; the headless wheel this project pins does not, so it is optional.

Returns the decoded text. Which part of it is the kiosk reference is the
caller's business (see kiosk/submission/reference.py): this module knows nothing about
the payload format. Anything from outside that is not text is rejected here.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]

#: A receipt QR code carries a short reference or URL; anything longer is not ours.
MAX_PAYLOAD = 512


def _detectors() -> list[Callable[[Image], str]]:
    found: list[Callable[[Image], str]] = []
    classic = cv2.QRCodeDetector()
    found.append(lambda image: str(classic.detectAndDecode(image)[0] or ""))
    if hasattr(cv2, "QRCodeDetectorAruco"):
        aruco = cv2.QRCodeDetectorAruco()
        found.append(lambda image: str(aruco.detectAndDecode(image)[0] or ""))
    wechat = getattr(cv2, "wechat_qrcode", None)
    if wechat is not None:  # pragma: no cover - not in opencv-python-headless
        detector = wechat.WeChatQRCode()
        found.append(lambda image: next(iter(detector.detectAndDecode(image)[0]), ""))
    return found


class QrReader:
    """Reusable: the detectors are built once (they allocate DNN/ArUco state)."""

    def __init__(self) -> None:
        self._detectors = _detectors()

    def decode(self, frame: Image) -> str | None:
        """The first QR payload found in a BGR or grey frame, or None."""
        grey = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame,
                          np.uint8)
        big = np.asarray(cv2.resize(grey, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC),
                         np.uint8)
        for image in (grey, big):
            for detect in self._detectors:
                try:
                    text = detect(image)
                except cv2.error:
                    continue  # a detector that chokes on this frame; the next may not
                if text and len(text) <= MAX_PAYLOAD and text.isprintable():
                    return text
        return None
