"""Multi-page PDF assembly with a per-page size budget, read back by Ghostscript."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.camera.synthetic import synthetic_frame
from devices.scanner.formats import PageFormat
from kiosk.documents.pdf import assemble_pdf, fit_jpeg
from kiosk.documents.quality import capture_page
from kiosk.errors import ValidationError


def _pages() -> list[np.ndarray]:
    pages = []
    for seed in (0, 1, 4):
        capture = capture_page(synthetic_frame(seed).frame, PageFormat.A4)
        assert capture.page is not None
        pages.append(capture.page)
    return pages


def _jpeg_streams(pdf: bytes) -> list[bytes]:
    out = []
    for match in re.finditer(rb"/Filter /DCTDecode /Length (\d+) >>\nstream\n", pdf):
        start = match.end()
        out.append(pdf[start:start + int(match.group(1))])
    return out


def test_three_pages_each_within_the_budget() -> None:
    pdf = assemble_pdf(_pages(), max_page_bytes=300_000)
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert b"/Count 3" in pdf
    streams = _jpeg_streams(pdf)
    assert len(streams) == 3
    for data in streams:
        assert len(data) <= 300_000
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        # A4 at 200 dpi, as the page lay (seed 1's page lies in landscape)
        assert image is not None and sorted(image.shape[:2]) == [1654, 2339]
    # A4 in points: 595 × 842
    assert b"/MediaBox [0 0 595.44 842.04]" in pdf
    assert b"/Info" not in pdf


def test_a_tight_budget_lowers_quality_then_scale() -> None:
    page = _pages()[0]
    loose = fit_jpeg(page, 1_000_000)
    assert loose.quality == 85 and loose.scale == 1.0
    tight = fit_jpeg(page, 60_000)
    assert len(tight.data) <= 60_000
    assert tight.quality < 85 or tight.scale < 1.0
    # the page keeps its physical size whatever the scale
    pdf = assemble_pdf([tight])
    assert b"/MediaBox [0 0 595.44 842.04]" in pdf or b"/MediaBox [0 0 595." in pdf


def test_grey_and_binary_pages() -> None:
    grey = np.full((400, 300), 255, np.uint8)
    cv2.putText(grey, "A", (100, 200), cv2.FONT_HERSHEY_SIMPLEX, 3, 0, 5)
    pdf = assemble_pdf([grey])
    assert b"/DeviceGray" in pdf


def test_impossible_budget_is_a_validation_error() -> None:
    noise = np.random.default_rng(0).integers(0, 256, (1200, 900, 3), dtype=np.uint8)
    with pytest.raises(ValidationError):
        fit_jpeg(noise, 2_000)
    with pytest.raises(ValidationError):
        assemble_pdf([])


def test_xref_offsets_point_at_objects() -> None:
    pdf = assemble_pdf(_pages()[:2])
    xref_at = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    table = pdf[xref_at:].split(b"trailer")[0].split(b"\n")[3:]
    for number, row in enumerate(r for r in table if r.strip()):
        offset = int(row[:10])
        assert pdf[offset:].startswith(f"{number + 1} 0 obj".encode())


def test_ghostscript_reads_it(tmp_path: Path) -> None:
    gs = shutil.which("gs")
    assert gs, "ghostscript is installed by scripts/lib/bootstrap.sh"
    path = tmp_path / "pages.pdf"
    path.write_bytes(assemble_pdf(_pages()))
    done = subprocess.run([gs, "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=png16m",
                           "-r20", f"-sOutputFile={tmp_path}/p%d.png", str(path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    rendered = sorted(tmp_path.glob("p*.png"))
    assert len(rendered) == 3
    first = cv2.imread(str(rendered[0]))
    assert first is not None and first.mean() > 150  # a white page with text on it
