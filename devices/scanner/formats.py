"""Paper formats the kiosk rectifies pages to, and the corner geometry they share."""

from __future__ import annotations

import enum

import numpy as np
import numpy.typing as npt

Corners = npt.NDArray[np.float32]  # shape (4, 2): x, y per corner


class PageFormat(enum.Enum):
    """Physical size in millimetres (portrait: width, height)."""

    A4 = (210.0, 297.0)       # ISO 216
    A5 = (148.0, 210.0)       # ISO 216
    ID_CARD = (54.0, 85.6)    # ISO/IEC 7810 ID-1 (resident ID card, bank card)

    @property
    def mm(self) -> tuple[float, float]:
        width, height = self.value
        return width, height

    @property
    def aspect(self) -> float:
        """Long side / short side."""
        width, height = self.value
        return height / width

    def pixels(self, dpi: int, landscape: bool = False) -> tuple[int, int]:
        """(width, height) in pixels at ``dpi``."""
        width, height = (round(v / 25.4 * dpi) for v in self.value)
        return (height, width) if landscape else (width, height)


def order_corners(points: npt.ArrayLike) -> Corners:
    """Four points as top-left, top-right, bottom-right, bottom-left (image axes).

    Sorted by angle around the centroid, starting from the corner nearest the
    image's top-left, so it also works for quads rotated by up to 45°.
    """
    pts = np.asarray(points, np.float32).reshape(4, 2)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    pts = pts[np.argsort(angles)]  # clockwise in image coordinates (y down)
    start = int(np.argmin(pts.sum(axis=1)))
    ordered: Corners = np.roll(pts, -start, axis=0).astype(np.float32)
    return ordered


def side_lengths(corners: Corners) -> tuple[float, float]:
    """Mean lengths of the (top/bottom, left/right) side pairs."""
    c = corners
    horizontal = (np.linalg.norm(c[1] - c[0]) + np.linalg.norm(c[2] - c[3])) / 2
    vertical = (np.linalg.norm(c[3] - c[0]) + np.linalg.norm(c[2] - c[1])) / 2
    return float(horizontal), float(vertical)


def corner_error(found: Corners, truth: Corners) -> float:
    """Largest corner distance / the true quad's mean diagonal, best over the 4
    cyclic correspondences (a page's "first" corner depends on its rotation)."""
    truth = np.asarray(truth, np.float32)
    diagonal = (np.linalg.norm(truth[2] - truth[0]) + np.linalg.norm(truth[3] - truth[1])) / 2
    best = min(float(np.max(np.linalg.norm(np.roll(found, k, axis=0) - truth, axis=1)))
               for k in range(4))
    return best / float(diagonal)
