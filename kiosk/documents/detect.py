"""Find the page in a document-camera frame: the largest plausible quadrilateral.

Two cheap proposals on a small copy of the frame (``work_width`` px):

1. *paper-likeness*: paper is brighter and less saturated than what it lies on.
   ``V - S`` (HSV), flattened by a large-scale background estimate so that a
   lighting gradient or a soft shadow does not split the page, then Otsu;
2. *edges*: Canny with thresholds from the median grey level, closed so a
   page edge broken by a shadow or text touching it still makes one contour.

Each outer contour becomes a convex hull, then a quadrilateral
(``approxPolyDP``; or the largest-area 4 vertices of the simplified hull when
a corner is rounded off). A quad is kept when it is convex, big enough
(``min_area``), with interior angles in a plausible range and a side ratio a
paper or card can have. Candidates are ranked by area × edge support (how much
of the outline has a strong bright-inside/dark-outside step).

The winner's corners are then refined on a finer copy (``refine_width``): along
each side, the strongest step across the side is found at ~40 points and a
robust line is fitted through them (``cv2.fitLine``, Huber); adjacent lines
intersect in the sub-pixel corners. This is what brings the corner error from
a few pixels of the small copy to well under 1 % of the page diagonal.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from devices.scanner.formats import Corners, order_corners, side_lengths

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class DetectConfig:
    work_width: int = 640
    refine_width: int = 1600
    #: The page must cover at least this fraction of the frame.
    min_area: float = 0.04
    #: Interior angles of the quad (degrees).
    min_angle: float = 55.0
    max_angle: float = 125.0
    #: Long side / short side (A4 1.41, ID card 1.59; perspective stretches it).
    max_ratio: float = 2.4
    #: At least this fraction of the outline must show a bright-inside edge: an
    #: empty desk's texture makes quads too, but not ones with a real border.
    min_support: float = 0.5


@dataclass(frozen=True)
class PageQuad:
    corners: Corners          # TL, TR, BR, BL in full-frame pixels
    support: float            # fraction of the outline with a clear edge (0..1)
    area_fraction: float      # quad area / frame area
    #: The page region runs into the edge of the picture (part of it is cut off).
    touches_border: bool = False

    @property
    def landscape(self) -> bool:
        horizontal, vertical = side_lengths(self.corners)
        return horizontal > vertical


def find_page(image: Image, config: DetectConfig | None = None) -> PageQuad | None:
    """The page in a BGR frame, or None when nothing plausible is there."""
    cfg = config or DetectConfig()
    h, w = image.shape[:2]
    scale = min(1.0, cfg.work_width / w)
    refine_scale = min(1.0, cfg.refine_width / w)
    # Shrink a 12 MP frame once: the small copy is made from the finer one.
    fine = image if refine_scale == 1.0 else _resize(image, refine_scale)
    small = _resize(fine, scale / refine_scale)
    grey = _log_grey(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
    candidates: list[tuple[float, Corners, bool]] = []
    edges = _edge_mask(grey)
    for mask, mode in ((_paper_mask(small), cv2.RETR_EXTERNAL), (edges, cv2.RETR_EXTERNAL),
                       (edges, cv2.RETR_LIST)):
        for quad, touches in _quads(mask, cfg, mode):
            support = _edge_support(grey, quad)
            if support < cfg.min_support:
                continue
            area = float(cv2.contourArea(quad)) / (small.shape[0] * small.shape[1])
            candidates.append((area * support * support, quad, touches))
    if not candidates:
        return None
    _, best, touches_border = max(candidates, key=lambda c: c[0])
    fine_grey = np.asarray(cv2.GaussianBlur(_log_grey(cv2.cvtColor(fine, cv2.COLOR_BGR2GRAY)),
                                            (0, 0), 1.2), np.uint8)
    corners = _refine(fine_grey, best * np.float32(refine_scale / scale))
    if corners is None:
        corners = best * np.float32(refine_scale / scale)
    full: Corners = order_corners(corners / np.float32(refine_scale))
    support = _edge_support(grey, full * np.float32(scale))
    area = float(cv2.contourArea(full)) / (h * w)
    return PageQuad(full, support, area, touches_border)


# -- proposals -------------------------------------------------------------------------
def _resize(image: Image, scale: float) -> Image:
    if scale == 1.0:
        return image
    return np.asarray(cv2.resize(image, None, fx=scale, fy=scale,
                                 interpolation=cv2.INTER_AREA), np.uint8)


_LOG_LUT = np.clip(255 * (np.log(np.arange(256) + 8.0) - np.log(8.0))
                   / (np.log(263.0) - np.log(8.0)), 0, 255).astype(np.uint8)


def _log_grey(grey: npt.NDArray[Any]) -> Image:
    """Grey levels on a log scale: a shadow or a lighting gradient multiplies the
    light, so in log space the page edge is the same step in shade and in sun,
    while a soft shadow's edge stays a gentle slope that Canny ignores."""
    return np.asarray(cv2.LUT(grey, _LOG_LUT), np.uint8)


def _paper_mask(small: Image) -> Image:
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    whiteness = cv2.subtract(hsv[:, :, 2], hsv[:, :, 1] // 2)
    # Flatten the lighting: divide by a heavily blurred copy of the brightest
    # surroundings (a closing removes the text first).
    k = max(3, small.shape[1] // 40) | 1
    closed = cv2.morphologyEx(whiteness, cv2.MORPH_CLOSE,
                              cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    blurred = cv2.GaussianBlur(closed, (0, 0), 3)
    _, mask = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return np.asarray(cv2.morphologyEx(mask, cv2.MORPH_OPEN,
                                       cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))),
                      np.uint8)


def _edge_mask(grey: Image) -> Image:
    blurred = cv2.GaussianBlur(grey, (5, 5), 0)
    edges = cv2.Canny(blurred, 20, 50)
    return np.asarray(cv2.dilate(edges, np.ones((3, 3), np.uint8)), np.uint8)


def _quads(mask: Image, cfg: DetectConfig, mode: int) -> list[tuple[Corners, bool]]:
    contours, _ = cv2.findContours(mask, mode, cv2.CHAIN_APPROX_SIMPLE)
    area_min = cfg.min_area * mask.shape[0] * mask.shape[1]
    out = []
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:8]:
        hull = np.asarray(cv2.convexHull(contour), np.int32)
        if cv2.contourArea(hull) < area_min:
            break
        quad = _hull_to_quad(hull)
        if quad is not None and _plausible(quad, cfg, area_min):
            h, w = mask.shape[:2]
            touches = bool(hull[:, 0, 0].min() <= 1 or hull[:, 0, 1].min() <= 1
                           or hull[:, 0, 0].max() >= w - 2 or hull[:, 0, 1].max() >= h - 2)
            out.append((quad, touches))
    return out


def _hull_to_quad(hull: npt.NDArray[np.int32]) -> Corners | None:
    perimeter = cv2.arcLength(hull, True)
    for eps in (0.01, 0.02, 0.03, 0.05, 0.08):
        approx = cv2.approxPolyDP(hull, eps * perimeter, True)
        if len(approx) == 4:
            return order_corners(approx.reshape(4, 2))
        if len(approx) < 4:
            break
    # A cut or rounded corner: the 4 vertices of the simplified hull enclosing most area.
    simple = cv2.approxPolyDP(hull, 0.01 * perimeter, True).reshape(-1, 2)
    if len(simple) < 4 or len(simple) > 16:
        return None
    best = max(itertools.combinations(range(len(simple)), 4),
               key=lambda idx: cv2.contourArea(simple[list(idx)].astype(np.float32)))
    return order_corners(simple[list(best)])


def _plausible(quad: Corners, cfg: DetectConfig, area_min: float) -> bool:
    if not cv2.isContourConvex(quad.astype(np.float32)) or cv2.contourArea(quad) < area_min:
        return False
    for i in range(4):
        a, b, c = quad[i - 1], quad[i], quad[(i + 1) % 4]
        v1, v2 = a - b, c - b
        cos = float(np.dot(v1, v2) / (np.linalg.norm(v1) * np.linalg.norm(v2) + 1e-9))
        angle = float(np.degrees(np.arccos(np.clip(cos, -1, 1))))
        if not cfg.min_angle <= angle <= cfg.max_angle:
            return False
    horizontal, vertical = side_lengths(quad)
    ratio = max(horizontal, vertical) / max(1e-6, min(horizontal, vertical))
    return ratio <= cfg.max_ratio


# -- edge measurements ---------------------------------------------------------------------
def _profiles(grey: Image, p0: npt.NDArray[np.float32], p1: npt.NDArray[np.float32],
              centre: npt.NDArray[np.float32], reach: float, samples: int
              ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32],
                         npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Grey levels along normals to segment p0-p1 (rows: positions, cols: offsets)."""
    direction = (p1 - p0) / (np.linalg.norm(p1 - p0) + 1e-9)
    normal = np.array([-direction[1], direction[0]], np.float32)
    if np.dot(normal, (p0 + p1) / 2 - centre) < 0:
        normal = -normal  # pointing outwards
    ts = np.linspace(0.12, 0.88, samples, dtype=np.float32)
    offsets = np.arange(-reach, reach + 0.5, 0.5, dtype=np.float32)
    base = p0[None, :] + ts[:, None] * (p1 - p0)[None, :]
    xs = base[:, None, 0] + offsets[None, :] * normal[0]
    ys = base[:, None, 1] + offsets[None, :] * normal[1]
    values = cv2.remap(grey.astype(np.float32), xs.astype(np.float32), ys.astype(np.float32),
                       cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(values, np.float32), base, normal, offsets


def _edge_support(grey: Image, quad: Corners) -> float:
    """Fraction of sample points along the outline with a bright-inside step of >= 12 levels."""
    centre = quad.mean(axis=0)
    hits = total = 0
    for i in range(4):
        values, _, _, _ = _profiles(grey, quad[i], quad[(i + 1) % 4], centre, 3.0, 24)
        step = values[:, :4].mean(axis=1) - values[:, -4:].mean(axis=1)
        hits += int(np.count_nonzero(step >= 12))
        total += len(step)
    return hits / total if total else 0.0


def _refine(grey: Image, quad: Corners) -> Corners | None:
    centre = quad.mean(axis=0)
    diagonal = float(np.linalg.norm(quad[2] - quad[0]))
    reach = max(4.0, 0.02 * diagonal)
    lines = []
    for i in range(4):
        values, base, normal, offsets = _profiles(grey, quad[i], quad[(i + 1) % 4], centre,
                                                  reach, 48)
        # Outward derivative: the page edge is the most negative step (bright -> dark).
        derivative = np.diff(values, axis=1)
        best = np.argmin(derivative, axis=1)
        strength = -derivative[np.arange(len(best)), best]
        keep = strength >= max(2.0, 0.3 * float(np.median(strength)))
        if np.count_nonzero(keep) < 8:
            return None
        shift = (offsets[best] + offsets[best + 1]) / 2
        points = base + shift[:, None] * normal[None, :]
        vx, vy, x0, y0 = cv2.fitLine(points[keep].astype(np.float32), cv2.DIST_HUBER,
                                     0, 0.01, 0.01).reshape(4)
        lines.append((np.array([x0, y0], np.float32), np.array([vx, vy], np.float32)))
    corners = []
    for i in range(4):
        (pa, da), (pb, db) = lines[i - 1], lines[i]
        matrix = np.array([[da[0], -db[0]], [da[1], -db[1]]], np.float64)
        if abs(np.linalg.det(matrix)) < 1e-6:
            return None
        t, _ = np.linalg.solve(matrix, (pb - pa).astype(np.float64))
        corners.append(pa + np.float32(t) * da)
    refined = np.asarray(corners, np.float32)
    # A refinement that moves a corner far means it latched onto something else.
    if float(np.max(np.linalg.norm(refined - quad, axis=1))) > 2.5 * reach:
        return None
    return refined
