"""Multi-page PDF of captured pages, each page JPEG-compressed within a size budget.

Why our own ~60-line writer instead of Pillow's ``save(..., "PDF")``: Pillow
re-encodes every page with one quality setting for the whole file, so the size
of a page is only known after writing it. Here each page is encoded once by
:func:`fit_jpeg` (quality lowered, then scale, until it fits the per-page budget)
and its JPEG bytes go into the PDF unchanged as a ``/DCTDecode`` image XObject
(ISO 32000-1 §7.4.8, §8.9.5), so the budget holds exactly. The document carries
no metadata (no /Info: no names, no dates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.errors import ValidationError

Image = npt.NDArray[np.uint8]

QUALITIES = (85, 75, 65, 55, 45, 35)


@dataclass(frozen=True)
class JpegPage:
    data: bytes
    width: int
    height: int
    grey: bool
    quality: int
    scale: float


def encode_jpeg(image: Image, quality: int) -> bytes:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality,
                                              cv2.IMWRITE_JPEG_OPTIMIZE, 1])
    if not ok:
        raise ValidationError("page image could not be JPEG-encoded")
    return bytes(buffer.tobytes())


def fit_jpeg(image: Image, max_bytes: int = 300_000, *, min_scale: float = 0.35) -> JpegPage:
    """Encode within ``max_bytes``: lower the quality first (text stays legible
    down to ~45), then shrink by 15 % steps. Bounded: at most 6 qualities × 8 scales."""
    scale = 1.0
    h, w = image.shape[:2]
    current = image
    while True:
        for quality in QUALITIES:
            data = encode_jpeg(current, quality)
            if len(data) <= max_bytes:
                ch, cw = current.shape[:2]
                return JpegPage(data, cw, ch, current.ndim == 2, quality, scale)
        scale *= 0.85
        if scale < min_scale:
            raise ValidationError(f"page does not fit in {max_bytes} bytes even at "
                                  f"{min_scale:.0%} scale", i18n_key="document.error.too_large")
        current = np.asarray(cv2.resize(image, (max(1, round(w * scale)),
                                                max(1, round(h * scale))),
                                        interpolation=cv2.INTER_AREA), np.uint8)


def assemble_pdf(pages: Sequence[Image | JpegPage], *, dpi: int = 200,
                 max_page_bytes: int = 300_000) -> bytes:
    """One PDF, one page per image, each shown at its size at ``dpi`` (so an A4
    page rectified at 200 dpi prints as A4, whatever scale the budget forced)."""
    if not pages:
        raise ValidationError("no pages to assemble", i18n_key="document.error.no_pages")
    encoded = [p if isinstance(p, JpegPage) else fit_jpeg(p, max_page_bytes) for p in pages]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []

    def obj(body: bytes) -> None:
        offsets.append(len(out))
        out.extend(f"{len(offsets)} 0 obj\n".encode() + body + b"\nendobj\n")

    count = len(encoded)
    kids = " ".join(f"{3 + 3 * i} 0 R" for i in range(count))
    obj(b"<< /Type /Catalog /Pages 2 0 R >>")
    obj(f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode())
    for i, page in enumerate(encoded):
        content_id, image_id = 4 + 3 * i, 5 + 3 * i  # the page itself is 3 + 3 * i
        # Points (1/72 in) from the page's pixels at the capture dpi, undoing any
        # downscale the budget forced.
        width_pt = page.width / page.scale / dpi * 72
        height_pt = page.height / page.scale / dpi * 72
        obj(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width_pt:.2f} {height_pt:.2f}] "
            f"/Resources << /XObject << /Im0 {image_id} 0 R >> >> "
            f"/Contents {content_id} 0 R >>".encode())
        draw = f"q {width_pt:.2f} 0 0 {height_pt:.2f} 0 0 cm /Im0 Do Q".encode()
        obj(f"<< /Length {len(draw)} >>\nstream\n".encode() + draw + b"\nendstream")
        colour = "/DeviceGray" if page.grey else "/DeviceRGB"
        obj(f"<< /Type /XObject /Subtype /Image /Width {page.width} /Height {page.height} "
            f"/ColorSpace {colour} /BitsPerComponent 8 /Filter /DCTDecode "
            f"/Length {len(page.data)} >>\nstream\n".encode() + page.data + b"\nendstream")
    xref_at = len(out)
    out.extend(f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.extend(f"{offset:010d} 00000 n \n".encode())
    out.extend(f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\n"
               f"startxref\n{xref_at}\n%%EOF\n".encode())
    return bytes(out)
