"""Synthetic document-camera frames with ground truth, for tests, the benchmark and the simulator.

A page of Chinese text (Noto Sans CJK SC, the face ``devices.fonts`` names) with a
title, form lines, a table and a red seal is warped by a random perspective
onto a background (wood grain, cloth weave, or a cluttered desk), lit by a
gradient, crossed by a soft shadow, defocused a little and given sensor noise.
The true page corners in the frame come with it. Everything is drawn from one
``seed``, so a failure can be regenerated exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from devices.fonts import collection_face
from devices.scanner.formats import Corners, PageFormat

Image = npt.NDArray[np.uint8]

PHRASES = (
    "浙江省政务服务事项申请表", "申请人姓名", "公民身份号码", "联系电话", "家庭住址",
    "申请事项", "办理方式", "最多跑一次", "就近办", "一窗受理", "材料清单",
    "本人承诺以上所填内容真实有效", "如有虚假愿承担相应法律责任", "申请人签名",
    "受理日期", "年 月 日", "户口簿复印件", "居民身份证原件", "不动产权证书",
    "杭州市萧山区", "乡镇便民服务中心", "社会保障卡", "经办人", "审核意见",
)
BACKGROUNDS = ("wood", "cloth", "clutter")


@dataclass(frozen=True)
class SyntheticFrame:
    frame: Image
    corners: Corners          # page's top-left, top-right, bottom-right, bottom-left in the frame
    page: Image               # the flat page as rendered
    format: PageFormat
    background: str
    seed: int


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    face = collection_face()
    return ImageFont.truetype(str(face.path), size, index=face.index)


def render_page(rng: np.random.Generator, fmt: PageFormat = PageFormat.A4,
                width: int = 700) -> Image:
    """A flat page with Chinese text, lines, a table and a seal (BGR)."""
    mm_w, mm_h = fmt.mm
    height = round(width * mm_h / mm_w)
    paper = tuple(int(v) for v in rng.integers(236, 252, 3))
    image = PILImage.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(image)
    margin = width // 10
    title = _font(max(12, width // 22))
    body = _font(max(10, width // 38))
    y = margin
    draw.text((margin, y), str(rng.choice(PHRASES)), font=title, fill=(20, 20, 20))
    y += width // 12
    step = max(14, width // 26)
    rows = int((height - 2 * margin - y) / step)
    table_at = int(rng.integers(rows // 3, max(rows // 3 + 1, rows - 6)))
    for row in range(rows):
        if table_at <= row < table_at + 4:
            top = y + row * step
            draw.rectangle((margin, top, width - margin, top + step), outline=(40, 40, 40))
            draw.line((width // 2, top, width // 2, top + step), fill=(40, 40, 40))
            continue
        text = "".join(str(rng.choice(PHRASES)) for _ in range(2))
        limit = max(2, int((width - 2 * margin) / (body.size * 1.02)))
        draw.text((margin, y + row * step), text[:limit], font=body, fill=(35, 35, 35))
    if fmt is not PageFormat.ID_CARD:
        cx, cy, r = width * 0.72, height * 0.82, width * 0.09
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(200, 30, 30), width=3)
        draw.text((cx - r * 0.6, cy - r * 0.2), "专用章", font=body, fill=(200, 30, 30))
    rgb = np.asarray(image, np.uint8)
    return np.ascontiguousarray(rgb[:, :, ::-1])


def background(kind: str, size: tuple[int, int], rng: np.random.Generator) -> Image:
    """Drawn at half resolution and scaled up (a desk texture is soft at this scale anyway)."""
    full = size
    w, h = size[0] // 2, size[1] // 2
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "wood":
        angle = float(rng.uniform(0, np.pi))
        u = xs * np.cos(angle) + ys * np.sin(angle)
        v = -xs * np.sin(angle) + ys * np.cos(angle)
        coarse = rng.normal(0, 1, (h // 16 + 1, w // 16 + 1)).astype(np.float32)
        warp = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC) * 5
        grain = 0.5 + 0.5 * np.sin((u + warp) / float(rng.uniform(3, 7)) + v / 200)
        base = np.array(rng.uniform([30, 60, 110], [60, 100, 160]), np.float32)  # BGR brown
        img = base * (0.7 + 0.45 * grain[..., None])
    elif kind == "cloth":
        period = float(rng.uniform(1.5, 3.5))
        weave = (np.sin(xs / period) * np.sin(ys / period) + 1) / 2
        base = np.array(rng.uniform([40, 40, 40], [150, 140, 130]), np.float32)
        img = base * (0.8 + 0.3 * weave[..., None])
    else:  # clutter: a desk with things on it
        base = np.array(rng.uniform([50, 60, 60], [120, 120, 130]), np.float32)
        img = np.empty((h, w, 3), np.float32)
        img[:] = base
        for _ in range(int(rng.integers(6, 14))):
            colour = tuple(float(c) for c in rng.uniform(10, 200, 3))
            x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
            if rng.random() < 0.4:
                cv2.circle(img, (x, y), int(rng.integers(15, h // 6)), colour, -1)
            elif rng.random() < 0.5:
                x2 = x + int(rng.integers(-w // 3, w // 3))
                y2 = y + int(rng.integers(-h // 3, h // 3))
                cv2.line(img, (x, y), (x2, y2), colour, int(rng.integers(3, 14)))
            else:
                cv2.rectangle(img, (x, y), (x + int(rng.integers(20, w // 5)),
                                            y + int(rng.integers(20, h // 5))), colour, -1)
    img += _noise(img.shape, 4.0, rng)
    small = np.clip(img, 0, 255).astype(np.uint8)
    return np.asarray(cv2.resize(small, full, interpolation=cv2.INTER_LINEAR), np.uint8)


def random_quad(rng: np.random.Generator, fmt: PageFormat, size: tuple[int, int]) -> Corners:
    """Where the page lands: size, rotation, perspective, all inside the frame."""
    w, h = size
    landscape = rng.random() < 0.15
    aspect = fmt.aspect
    for _ in range(200):  # bounded: retry until the quad fits with a margin
        long_side = float(rng.uniform(0.55, 0.9)) * h
        pw, ph = long_side / aspect, long_side
        if landscape:
            pw, ph = ph, pw
        angle = np.deg2rad(float(rng.uniform(-25, 25)))
        rect = np.array([[-pw / 2, -ph / 2], [pw / 2, -ph / 2], [pw / 2, ph / 2],
                         [-pw / 2, ph / 2]], np.float32)
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]],
                       np.float32)
        quad = rect @ rot.T
        quad += rng.uniform(-0.06, 0.06, (4, 2)).astype(np.float32) * np.float32(long_side)
        quad += np.array([rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h], np.float32)
        margin = 0.03 * min(w, h)
        if (quad[:, 0].min() > margin and quad[:, 1].min() > margin
                and quad[:, 0].max() < w - margin and quad[:, 1].max() < h - margin):
            corners: Corners = quad.astype(np.float32)
            return corners
    raise RuntimeError("no quad fits")  # pragma: no cover - sizes above always fit


def synthetic_frame(seed: int, size: tuple[int, int] = (1600, 1200),
                    fmt: PageFormat | None = None) -> SyntheticFrame:
    rng = np.random.default_rng(seed)
    fmt = fmt or (PageFormat.ID_CARD if rng.random() < 0.1 else PageFormat.A4)
    kind = BACKGROUNDS[seed % len(BACKGROUNDS)]
    page = render_page(rng, fmt, width=700 if fmt is not PageFormat.ID_CARD else 540)
    frame = background(kind, size, rng)
    corners = random_quad(rng, fmt, size)
    ph, pw = page.shape[:2]
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, corners)
    # Transparent border: the page is drawn onto the desk, the desk stays elsewhere.
    cv2.warpPerspective(page, matrix, size, dst=frame, flags=cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_TRANSPARENT)
    gain = _light(size, rng) * _shadow(size, rng)
    lit = frame.astype(np.float32) * gain[..., None]
    sigma = float(rng.uniform(0.0, 1.2))
    if sigma > 0.3:
        lit = cv2.GaussianBlur(lit, (0, 0), sigma)
    lit += _noise(lit.shape, 2.5, rng)
    out = np.clip(lit, 0, 255).astype(np.uint8)
    return SyntheticFrame(out, corners, page, fmt, kind, seed)


def _noise(shape: tuple[int, ...], sigma: float, rng: np.random.Generator
           ) -> npt.NDArray[np.float32]:
    noise: npt.NDArray[np.float32] = rng.standard_normal(shape, dtype=np.float32)
    noise *= np.float32(sigma)
    return noise


def _light(size: tuple[int, int], rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """A lighting gradient in a random direction (a window, a lamp to one side)."""
    w, h = size
    angle = float(rng.uniform(0, 2 * np.pi))
    xs = (np.arange(w, dtype=np.float32) / w - 0.5) * np.float32(np.cos(angle))
    ys = (np.arange(h, dtype=np.float32) / h - 0.5) * np.float32(np.sin(angle))
    strength = np.float32(rng.uniform(0.1, 0.35))
    gain = np.float32(0.88) + strength * (ys[:, None] + xs[None, :])
    # A document camera's auto-exposure keeps the paper below clipping.
    capped: npt.NDArray[np.float32] = np.minimum(gain, np.float32(1.0))
    return capped


def _shadow(size: tuple[int, int], rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """A soft shadow (a hand, the camera arm) somewhere on the frame, as a gain map."""
    w, h = size
    mask = np.zeros((h // 4, w // 4), np.float32)
    cx, cy = float(rng.uniform(0, w)), float(rng.uniform(0, h))
    points = np.array([[cx + float(rng.uniform(-0.35, 0.35)) * w,
                        cy + float(rng.uniform(-0.35, 0.35)) * h] for _ in range(5)]) / 4
    cv2.fillPoly(mask, [cv2.convexHull(points.astype(np.int32))], 1.0)
    soft = cv2.GaussianBlur(mask, (0, 0), float(rng.uniform(2, 7.5)))
    depth = np.float32(rng.uniform(0.2, 0.45))
    full = np.asarray(cv2.resize(soft, size, interpolation=cv2.INTER_LINEAR), np.float32)
    gain: npt.NDArray[np.float32] = np.float32(1) - depth * full
    return gain
