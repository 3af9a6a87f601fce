"""Turn a detected page into a flat, clean page image.

* perspective correction to the proportions of the chosen format (A4/A5 by
  ISO 216, ID-1 card 85.6×54 mm by ISO/IEC 7810), at ``dpi``, keeping the
  page's orientation (portrait or landscape) as it lay;
* shadow and background cleanup: divide by a morphological estimate of the
  paper's own brightness (a closing removes the ink, a blur smooths it), which
  evens out lighting gradients and soft shadows and leaves ink and stamps;
* optional binarisation (adaptive Gaussian threshold) for text-only pages.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from devices.scanner.formats import Corners, PageFormat, side_lengths
from kiosk.documents.detect import PageQuad

Image = npt.NDArray[np.uint8]


def guess_format(quad: PageQuad) -> PageFormat:
    """ID card when the side ratio is nearer 1.586 than 1.414; otherwise A4.

    A4 and A5 have the same proportions: only the caller (the material asked
    for) can tell them apart.
    """
    horizontal, vertical = side_lengths(quad.corners)
    ratio = max(horizontal, vertical) / max(1e-6, min(horizontal, vertical))
    card, paper = PageFormat.ID_CARD.aspect, PageFormat.A4.aspect
    return PageFormat.ID_CARD if abs(ratio - card) < abs(ratio - paper) else PageFormat.A4


def warp(image: Image, corners: Corners, fmt: PageFormat, dpi: int = 200,
         landscape: bool | None = None) -> Image:
    """The quad ``corners`` (TL, TR, BR, BL) mapped onto a ``fmt`` page at ``dpi``."""
    if landscape is None:
        horizontal, vertical = side_lengths(corners)
        landscape = horizontal > vertical
    width, height = fmt.pixels(dpi, landscape=landscape)
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]],
                      np.float32)
    matrix = cv2.getPerspectiveTransform(np.asarray(corners, np.float32), target)
    return np.asarray(cv2.warpPerspective(image, matrix, (width, height),
                                          flags=cv2.INTER_AREA,
                                          borderMode=cv2.BORDER_REPLICATE), np.uint8)


def clean(page: Image) -> Image:
    """Even out shadows and lighting: page / (its paper brightness) * 255."""
    h, w = page.shape[:2]
    # Estimate on a quarter-size copy: the paper's brightness varies slowly.
    small = cv2.resize(page, (max(8, w // 4), max(8, h // 4)), interpolation=cv2.INTER_AREA)
    k = max(3, min(small.shape[:2]) // 25) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)  # ink removed
    paper = cv2.GaussianBlur(paper, (0, 0), k / 2)
    paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)
    flat = cv2.divide(page, np.maximum(paper, 1), scale=255)
    return np.asarray(flat, np.uint8)


def binarise(page: Image) -> Image:
    """Black ink on white, for text-only pages (smaller PDFs, sharper print)."""
    grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY) if page.ndim == 3 else page
    block = max(15, (min(grey.shape[:2]) // 40) | 1)
    return np.asarray(cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C,
                                            cv2.THRESH_BINARY, block, 15), np.uint8)


def rectify(image: Image, quad: PageQuad, fmt: PageFormat | None = None, *, dpi: int = 200,
            cleanup: bool = True, binary: bool = False) -> Image:
    """Warp, then optionally clean and binarise. Returns BGR (or grey when ``binary``)."""
    page = warp(image, quad.corners, fmt or guess_format(quad), dpi)
    if cleanup:
        page = clean(page)
    if binary:
        page = binarise(page)
    return page
