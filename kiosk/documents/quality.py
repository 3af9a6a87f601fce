"""Is this capture good enough, and if not, what should the citizen fix?

The result is an ordered list of i18n keys (``kiosk/locale/*/vision.po``),
most important first; empty = good. :func:`capture_page` is the one call the
document screen makes per frame: detect, check, rectify.

Order: no page; page cut off at the edge of the picture; page too small;
too dark; glare (a shiny spot that hides text); blurred. Position first,
because moving the page changes everything after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from devices.scanner.formats import PageFormat, side_lengths
from kiosk.documents.detect import DetectConfig, PageQuad, find_page
from kiosk.documents.rectify import clean, guess_format, warp

Image = npt.NDArray[np.uint8]

NO_PAGE = "document.guide.no_page"
CUT_OFF = "document.guide.cut_off"
TOO_SMALL = "document.guide.too_small"
TOO_DARK = "document.guide.too_dark"
GLARE = "document.guide.glare"
BLURRED = "document.guide.blurred"

DOCUMENT_KEYS = (NO_PAGE, CUT_OFF, TOO_SMALL, TOO_DARK, GLARE, BLURRED)

#: The checks measure the page warped to at most this width.
CHECK_WIDTH = 800


@dataclass(frozen=True)
class QualityConfig:
    #: A corner closer than this fraction of the frame size to the border = cut off.
    edge_margin: float = 0.012
    #: Minimum page area / frame area (a paper page; an ID card needs less).
    min_area: float = 0.12
    min_area_card: float = 0.03
    #: Mean grey level of the page before cleanup.
    min_luminance: float = 80.0
    #: Glare: pixels at >= 250 in every channel, in blobs, above this fraction of the page.
    max_glare: float = 0.004
    #: See :func:`_sharpness`. Synthetic pages in focus measure 0.79-0.97; the same
    #: frames blurred with sigma 2 px measure 0.66-0.73 (sigma 1.5: 0.69-0.77).
    min_sharpness: float = 0.76


@dataclass(frozen=True)
class PageMetrics:
    area_fraction: float
    luminance: float
    glare: float
    sharpness: float


@dataclass(frozen=True)
class PageCapture:
    keys: tuple[str, ...]
    quad: PageQuad | None
    format: PageFormat | None
    page: Image | None          # rectified (and cleaned) page, when a page was found
    metrics: PageMetrics | None

    @property
    def ok(self) -> bool:
        return not self.keys


def check(frame: Image, quad: PageQuad | None, fmt: PageFormat,
          config: QualityConfig | None = None) -> tuple[tuple[str, ...], PageMetrics | None]:
    cfg = config or QualityConfig()
    if quad is None:
        return (NO_PAGE,), None
    h, w = frame.shape[:2]
    keys: list[str] = []
    corners = quad.corners
    mx, my = cfg.edge_margin * w, cfg.edge_margin * h
    if quad.touches_border or (corners[:, 0].min() < mx or corners[:, 1].min() < my
            or corners[:, 0].max() > w - 1 - mx or corners[:, 1].max() > h - 1 - my):
        keys.append(CUT_OFF)
    min_area = cfg.min_area_card if fmt is PageFormat.ID_CARD else cfg.min_area
    if quad.area_fraction < min_area:
        keys.append(TOO_SMALL)
    # Checked at (at most) the page's own resolution in the frame: upsampling
    # would make a sharp page look blurred.
    short_side = min(side_lengths(corners))
    dpi = max(20, round(min(CHECK_WIDTH, short_side) / (fmt.mm[0] / 25.4)))
    flat = warp(frame, corners, fmt, dpi=dpi)
    grey = np.asarray(cv2.cvtColor(flat, cv2.COLOR_BGR2GRAY), np.uint8)
    luminance = float(grey.mean())
    glare = _glare(flat)
    sharpness = _sharpness(grey)
    if luminance < cfg.min_luminance:
        keys.append(TOO_DARK)
    if glare > cfg.max_glare:
        keys.append(GLARE)
    if sharpness < cfg.min_sharpness:
        keys.append(BLURRED)
    return tuple(keys), PageMetrics(quad.area_fraction, luminance, glare, sharpness)


def _sharpness(grey: Image) -> float:
    """How much detail a further slight blur destroys (0 = none: already blurred, 1 = all).

    A no-reference measure that does not depend on how much text is on the
    page: the Laplacian's variance after a sigma-1 blur relative to before.
    """
    detail = float(cv2.Laplacian(grey, cv2.CV_32F).var())
    if detail < 1.0:
        return 0.0  # a blank, flat page: nothing to judge, nothing sharp either
    reblurred = cv2.GaussianBlur(grey, (0, 0), 1.0)
    return 1.0 - float(cv2.Laplacian(reblurred, cv2.CV_32F).var()) / detail


def _glare(page: Image) -> float:
    """Fraction of the page covered by blown-out blobs (not thin bright lines)."""
    saturated = np.all(page >= 250, axis=2).astype(np.uint8)
    opened = cv2.morphologyEx(saturated, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    return float(opened.mean())


def capture_page(frame: Image, fmt: PageFormat | None = None, *, dpi: int = 200,
                 cleanup: bool = True, detect: DetectConfig | None = None,
                 quality: QualityConfig | None = None) -> PageCapture:
    """Detect, check and rectify one document-camera frame.

    ``fmt`` is the material's format if the catalog says (A4, A5, ID card);
    otherwise it is guessed from the page's proportions (A4 or ID card).
    ``page`` is returned even when there are keys, so the screen can show what
    was seen; only a capture with no keys should be kept as a material.
    """
    quad = find_page(frame, detect)
    if quad is None:
        return PageCapture((NO_PAGE,), None, fmt, None, None)
    fmt = fmt or guess_format(quad)
    keys, metrics = check(frame, quad, fmt, quality)
    page = warp(frame, quad.corners, fmt, dpi)
    if cleanup:
        page = clean(page)
    return PageCapture(keys, quad, fmt, page, metrics)
