"""Helpers that put package photos into 640×480 camera frames."""

from __future__ import annotations

import numpy as np

from devices.camera.scenes import Key, Portrait, composite_face
from devices.camera.scenes import _office_background as office_background
from kiosk.face.engine import FaceEngine, Image

__all__ = ["frame_with", "head_turn_keys", "office_background", "portrait"]


def portrait(engine: FaceEngine, image: Image) -> Portrait:
    face = engine.detect(image)[0]
    return Portrait(image, (face.x, face.y, face.w, face.h), face.landmarks[2])


def frame_with(*placements: tuple[Portrait, float, float, float],
               turn: float = 0.0) -> Image:
    """A 640×480 frame with each portrait at (cx, cy, face height)."""
    frame = office_background((640, 480)).copy()
    for p, cx, cy, height in placements:
        composite_face(frame, p, cx, cy, height, turn)
    return np.asarray(frame, np.uint8)


def head_turn_keys(direction: str, start: float = 0.0, amount: float = 0.8) -> list[Key]:
    """Frontal for 1 s, turn in 0.5 s, hold 0.5 s, back in 0.5 s, frontal after."""
    turn = amount if direction == "left" else -amount
    return [Key(start), Key(start + 1.0), Key(start + 1.5, turn=turn),
            Key(start + 2.0, turn=turn), Key(start + 2.5), Key(start + 30.0)]
