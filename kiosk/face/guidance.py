"""Live guidance for the citizen in front of the face camera, and best-frame scoring.

Pure functions of a frame and its detections: no state, no time. The result is
an ordered list of i18n keys (``kiosk/locale/*/vision.po``); the screen shows the
first one, in large type, and the rest are there for the technician log. An
empty list means "hold still, this frame is usable".

Order, most important first: no face; more than one face (a privacy warning:
someone is looking over the citizen's shoulder); too far / too close;
off-centre; head turned; too dark / too bright; blurred. Distance and position
come first because fixing them changes everything after them.

Thresholds live in :class:`GuidanceConfig`; the defaults were set on the
package photos (tests/kiosk/face) at 640×480 and are documented per field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.face.engine import Detection, Image

NO_FACE = "face.guide.no_face"
MULTIPLE_FACES = "face.guide.multiple_faces"
TOO_FAR = "face.guide.too_far"
TOO_CLOSE = "face.guide.too_close"
OFF_CENTRE = "face.guide.off_centre"
TURNED = "face.guide.turned"
TOO_DARK = "face.guide.too_dark"
TOO_BRIGHT = "face.guide.too_bright"
BLURRED = "face.guide.blurred"

GUIDANCE_KEYS = (NO_FACE, MULTIPLE_FACES, TOO_FAR, TOO_CLOSE, OFF_CENTRE, TURNED,
                 TOO_DARK, TOO_BRIGHT, BLURRED)

#: Side of the square face crop the sharpness and luminance are measured on, so
#: that the numbers do not depend on the camera's resolution or the distance.
CROP_SIDE = 112


@dataclass(frozen=True)
class GuidanceConfig:
    #: Face height / frame height below which the citizen is asked to come closer.
    min_face_height: float = 0.22
    #: ... and above which to step back (the chin and forehead get cut off).
    max_face_height: float = 0.80
    #: Another face counts (privacy warning) when its height is at least this
    #: fraction of the frame height: a passer-by far behind is not a shoulder-surfer.
    other_face_height: float = 0.10
    #: Face centre's distance from the frame centre, as a fraction of the frame
    #: width (x) and height (y), above which the citizen is asked to move to the middle.
    max_offset_x: float = 0.20
    max_offset_y: float = 0.25
    #: |Detection.yaw| above which the head counts as turned. Frontal package
    #: photos measure |yaw| <= 0.12 (obama3); obama2, visibly turned, measures 0.19.
    max_yaw: float = 0.15
    #: Variance of the Laplacian on the 112×112 grey face crop. Sharp package
    #: photos measure 150-900; a Gaussian blur of sigma 2.5 brings them below 40.
    min_sharpness: float = 60.0
    #: Mean grey level of the face crop (0-255).
    min_luminance: float = 60.0
    max_luminance: float = 205.0


@dataclass(frozen=True)
class FaceMetrics:
    face_height: float     # fraction of frame height
    offset_x: float        # signed, fraction of frame width
    offset_y: float        # signed, fraction of frame height
    yaw: float
    sharpness: float
    luminance: float


@dataclass(frozen=True)
class Assessment:
    keys: tuple[str, ...]
    face: Detection | None
    metrics: FaceMetrics | None
    faces: int

    @property
    def usable(self) -> bool:
        return not self.keys


def face_crop(image: Image, face: Detection, side: int = CROP_SIDE) -> Image:
    """The face box (clipped to the frame) as a ``side``×``side`` grey image."""
    h, w = image.shape[:2]
    x0, y0 = max(0, int(face.x)), max(0, int(face.y))
    x1, y1 = min(w, int(face.x + face.w)), min(h, int(face.y + face.h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return np.zeros((side, side), np.uint8)
    crop = image[y0:y1, x0:x1]
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    return np.asarray(cv2.resize(grey, (side, side), interpolation=cv2.INTER_AREA), np.uint8)


def measure(image: Image, face: Detection) -> FaceMetrics:
    h, w = image.shape[:2]
    crop = face_crop(image, face)
    cx, cy = face.centre
    sharpness = float(cv2.Laplacian(crop, cv2.CV_64F).var())
    # Luminance on the inner face (skip hair and background at the box edges).
    q = CROP_SIDE // 4
    luminance = float(crop[q:-q, q:-q].mean())
    return FaceMetrics(face_height=face.h / h, offset_x=(cx - w / 2) / w,
                       offset_y=(cy - h / 2) / h, yaw=face.yaw, sharpness=sharpness,
                       luminance=luminance)


def assess(image: Image, faces: Sequence[Detection],
           config: GuidanceConfig = GuidanceConfig()) -> Assessment:
    """Guidance keys for one frame, most important first; empty = usable."""
    if not faces:
        return Assessment((NO_FACE,), None, None, 0)
    h = image.shape[0]
    main = max(faces, key=lambda f: f.area)
    others = [f for f in faces if f is not main and f.h / h >= config.other_face_height]
    metrics = measure(image, main)
    keys: list[str] = []
    if others:
        keys.append(MULTIPLE_FACES)
    if metrics.face_height < config.min_face_height:
        keys.append(TOO_FAR)
    elif metrics.face_height > config.max_face_height:
        keys.append(TOO_CLOSE)
    if abs(metrics.offset_x) > config.max_offset_x or abs(metrics.offset_y) > config.max_offset_y:
        keys.append(OFF_CENTRE)
    if abs(metrics.yaw) > config.max_yaw:
        keys.append(TURNED)
    if metrics.luminance < config.min_luminance:
        keys.append(TOO_DARK)
    elif metrics.luminance > config.max_luminance:
        keys.append(TOO_BRIGHT)
    if metrics.sharpness < config.min_sharpness:
        keys.append(BLURRED)
    return Assessment(tuple(keys), main, metrics, 1 + len(others))


def frame_quality(metrics: FaceMetrics, config: GuidanceConfig = GuidanceConfig()) -> float:
    """Best-frame score in [0, 1]: sharpness × frontality × size.

    Each factor saturates at 1 so that one excellent property cannot make up
    for a poor one (a razor-sharp profile is still a profile).
    """
    sharp = min(1.0, metrics.sharpness / (3 * config.min_sharpness))
    frontal = max(0.0, 1.0 - abs(metrics.yaw) / (2 * config.max_yaw))
    ideal = (config.min_face_height + config.max_face_height) / 2
    size = min(1.0, metrics.face_height / ideal)
    return sharp * frontal * size
