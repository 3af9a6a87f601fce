"""Synthetic scenes for the camera simulator: a face approaching and turning, a page on a desk.

A scene is anything with ``render(t) -> BGR image`` (see
:class:`devices.camera.simulator.Scene`).

:class:`FaceScene` composites a face photo onto a background and moves it by
keyframes (position, size, head turn). A head turn is simulated on the flat
photo by pushing the middle of the face (nose) sideways with a smooth
displacement field while the outline stays put: that moves YuNet's nose
landmark relative to the eyes, which is what a real head turn does and what a
flat photo turned in front of the lens does not do.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from devices.camera.base import Image, as_image
from devices.camera.simulator import StillScene


@dataclass(frozen=True)
class Portrait:
    """A photo and where the face is in it (x, y, w, h) and its nose tip (x, y)."""

    image: Image
    face: tuple[float, float, float, float]
    nose: tuple[float, float] | None = None


@dataclass(frozen=True)
class Key:
    """Where the face is at time ``t``: centre (fractions of the frame), face height
    (fraction of the frame height) and head turn (-1 citizen's right .. +1 their left).
    ``visible=False`` keeps the face out of the picture."""

    t: float
    cx: float = 0.5
    cy: float = 0.45
    height: float = 0.4
    turn: float = 0.0
    visible: bool = True


def turn_head(image: Image, face: tuple[float, float, float, float],
              nose: tuple[float, float], amount: float) -> Image:
    """Simulate a head turn of ``amount`` (-1..1) on a frontal photo.

    Positive ``amount`` = the citizen turns to their left = the nose moves to
    the image's right, as seen by a camera facing them.
    """
    if abs(amount) < 1e-3:
        return image
    _, _, fw, fh = face
    nx, ny = nose
    h, w = image.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    sx, sy = 0.22 * fw, 0.32 * fh
    bump = np.exp(-((xs - nx) ** 2 / (2 * sx * sx) + (ys - ny) ** 2 / (2 * sy * sy)))
    shift = (amount * 0.45 * fw * bump).astype(np.float32)
    return as_image(cv2.remap(image, xs - shift, ys, cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REFLECT))


class FaceScene:
    """A face photo on a background, moving by linearly interpolated keyframes."""

    def __init__(self, portrait: Portrait, keys: Sequence[Key], *,
                 background: Image | None = None, size: tuple[int, int] = (640, 480),
                 loop: bool = False) -> None:
        if not keys:
            raise ValueError("FaceScene needs at least one key")
        self._portrait = portrait
        self._keys = sorted(keys, key=lambda k: k.t)
        self._size = size
        self._loop = loop
        if background is None:
            background = _office_background(size)
        self._background = as_image(cv2.resize(background, size))

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    def key_at(self, t: float) -> Key:
        keys = self._keys
        if self._loop and keys[-1].t > 0:
            t = t % keys[-1].t
        if t <= keys[0].t:
            return keys[0]
        for a, b in itertools.pairwise(keys):
            if a.t <= t <= b.t:
                if not (a.visible and b.visible):
                    return a if t < b.t else b
                f = (t - a.t) / (b.t - a.t) if b.t > a.t else 1.0
                return Key(t, *(getattr(a, n) + f * (getattr(b, n) - getattr(a, n))
                                for n in ("cx", "cy", "height", "turn")))
        return keys[-1]

    def render(self, t: float) -> Image:
        key = self.key_at(t)
        frame = self._background.copy()
        if key.visible:
            composite_face(frame, self._portrait, key.cx, key.cy, key.height, key.turn)
        return frame


def composite_face(frame: Image, portrait: Portrait, cx: float, cy: float, height: float,
                   turn: float = 0.0) -> None:
    """Paste the portrait's head (face box grown to a head) into ``frame`` in place."""
    fx, fy, fw, fh = portrait.face
    image = portrait.image
    nose = portrait.nose or (fx + fw / 2, fy + fh * 0.55)
    if turn:
        image = turn_head(image, portrait.face, nose, turn)
    # The head: the face box grown by half its size each way (hair, ears, chin).
    hx0, hy0 = max(0, int(fx - 0.5 * fw)), max(0, int(fy - 0.6 * fh))
    hx1, hy1 = min(image.shape[1], int(fx + 1.5 * fw)), min(image.shape[0], int(fy + 1.5 * fh))
    head = image[hy0:hy1, hx0:hx1]
    fh_px, fw_px = frame.shape[:2]
    scale = height * fh_px / fh
    tw, th = max(2, round(head.shape[1] * scale)), max(2, round(head.shape[0] * scale))
    head = as_image(cv2.resize(head, (tw, th), interpolation=cv2.INTER_AREA))
    # Place so that the *face* centre lands on (cx, cy).
    face_cx = (fx + fw / 2 - hx0) * scale
    face_cy = (fy + fh / 2 - hy0) * scale
    x0, y0 = round(cx * fw_px - face_cx), round(cy * fh_px - face_cy)
    mask = np.zeros((th, tw), np.float32)
    cv2.ellipse(mask, (tw // 2, th // 2), (tw // 2 - 1, th // 2 - 1), 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, tw / 40))[..., None]
    # Clip to the frame.
    sx0, sy0 = max(0, -x0), max(0, -y0)
    dx0, dy0 = max(0, x0), max(0, y0)
    dx1, dy1 = min(fw_px, x0 + tw), min(fh_px, y0 + th)
    if dx1 <= dx0 or dy1 <= dy0:
        return
    part = head[sy0:sy0 + dy1 - dy0, sx0:sx0 + dx1 - dx0].astype(np.float32)
    alpha = mask[sy0:sy0 + dy1 - dy0, sx0:sx0 + dx1 - dx0]
    region = frame[dy0:dy1, dx0:dx1].astype(np.float32)
    frame[dy0:dy1, dx0:dx1] = (alpha * part + (1 - alpha) * region).astype(np.uint8)


def _office_background(size: tuple[int, int], seed: int = 3) -> Image:
    """A plain wall with a soft gradient and a few shapes, like a service hall."""
    w, h = size
    rng = np.random.default_rng(seed)
    ys = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    base = np.empty((h, w, 3), np.float32)
    base[:] = (170, 180, 185)
    base *= (0.85 + 0.25 * ys)[..., None]
    canvas = np.clip(base, 0, 255).astype(np.uint8)
    for _ in range(4):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        colour = tuple(int(c) for c in rng.integers(60, 200, 3))
        cv2.rectangle(canvas, (x, y), (x + int(rng.integers(20, 120)),
                                       y + int(rng.integers(20, 120))), colour, -1)
    return as_image(cv2.GaussianBlur(canvas, (0, 0), 2))


def document_scene(seed: int = 0, size: tuple[int, int] = (1920, 1080)) -> StillScene:
    """A page of Chinese text lying on a desk under the document camera (see
    devices/camera/synthetic.py); the simulator adds sensor noise per frame."""
    from devices.camera.synthetic import synthetic_frame  # heavy: only when asked for

    return StillScene([synthetic_frame(seed, size=size).frame])


def both_ways_keys(start: float = 0.0, amount: float = 0.8) -> list[Key]:
    """Frontal, turn to the citizen's left, back, turn right, back: passes either
    challenge direction, so a looping clip of it works whatever the kiosk asks."""
    return [Key(start), Key(start + 0.8), Key(start + 1.2, turn=amount),
            Key(start + 1.6, turn=amount), Key(start + 2.0), Key(start + 2.4),
            Key(start + 2.8, turn=-amount), Key(start + 3.2, turn=-amount),
            Key(start + 3.6), Key(start + 4.4)]


def write_clip(scene: FaceScene, path: Path | str, seconds: float, fps: int = 25) -> Path:
    """Render a scene into an MJPG .avi (for DirectoryScene / scripts/run).

    Writes synthetic pictures of package photos only: never camera frames.
    """
    size = scene.size
    target = Path(path)
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter.fourcc(*"MJPG"), fps, size)
    if not writer.isOpened():
        raise ValueError(f"cannot write a video to {target}")
    try:
        for i in range(round(seconds * fps)):
            writer.write(scene.render(i / fps))
    finally:
        writer.release()
    return target
