"""Every CJK ideograph a name may hold prints as its glyph, never as the .notdef box.

The printer's raster glyphs come from Noto Sans CJK SC and, for what it lacks,
from the kiosk's fallback chain (HanaMin A/B, BabelStone Han). Each code point of
the CJK blocks is drawn into its 24 x 24 cell and compared with the .notdef box
of the font the chain chose for it. Drawing all 97,000 takes minutes, so each
block is walked with a stride (about 1,500 code points per block, every font of
the chain met); ``tests/kiosk/test_font_chain.py`` checks the full cmap coverage
(100 % of the URO, Ext A and Ext B). The per-block result is printed (``-s``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageDraw, ImageFont

from devices.fontchain import FontFile
from devices.fonts import FALLBACK_FACES
from devices.idcard.profiles import builtin_profiles
from devices.printer.document import para
from devices.printer.emulator import PrinterEmulator
from devices.printer.glyphs import Bitmap, GlyphCache
from kiosk.receipts import ReceiptCatalog, TestPageInput, build_test_page
from tests.devices.printer.helpers import network_printer
from tests.kiosk.cjk_blocks import BLOCKS, MUST_COVER

SAMPLE = 1500
NOWHERE = "\U0003fffd"  # a noncharacter: no font has it, every font draws .notdef


@pytest.fixture(scope="module")
def cache() -> GlyphCache:
    return GlyphCache(fallbacks=FALLBACK_FACES)


def _notdef(face: FontFile) -> Bitmap:
    """The .notdef box as the face draws it in a wide cell (independently of GlyphCache)."""
    font = ImageFont.truetype(str(face.path), 22, index=face.index)
    img = Image.new("L", (24, 24), 0)
    x = max(0.0, (24 - font.getlength(NOWHERE)) / 2)
    ImageDraw.Draw(img).text((x, 20), NOWHERE, font=font, fill=255, anchor="ls")
    bitmap: Bitmap = np.asarray(img) >= 128
    return bitmap


@pytest.mark.parametrize("block", list(BLOCKS))
def test_every_covered_code_point_prints_a_glyph(cache: GlyphCache, block: str) -> None:
    first, last = BLOCKS[block]
    boxes = [_notdef(f) for f in cache.chain.faces]
    assert all(b.any() for b in boxes)  # the comparison means something: a box has ink
    drawn = covered = 0
    bad: list[str] = []
    sample = range(first, last + 1, max(1, (last - first + 1) // SAMPLE))
    for cp in sample:
        ch = chr(cp)
        face = cache.chain.face_for(ch)
        if face is None:
            continue
        covered += 1
        cell = cache.cell(ch, width=2)
        if cell.any() and not np.array_equal(cell, boxes[face]):
            drawn += 1
        elif len(bad) < 20:
            bad.append(f"U+{cp:04X}")
    total = len(sample)
    print(f"\npaper {block}: {drawn}/{total} sampled code points drawn "
          f"({100 * drawn / total:.2f} %)")
    assert not bad, f"{block}: printed as a box or blank: {bad}"
    if block in MUST_COVER:
        assert covered == total, f"{block}: {total - covered} code points no font has"


def test_without_the_chain_a_rare_name_prints_a_box() -> None:
    # Negative control: Noto alone has no glyph for 𪚥 (U+2A6A5, Ext B), so the cell
    # is its .notdef box; the chain's cell is not.
    noto_only = GlyphCache()
    box = noto_only.cell(NOWHERE, width=2)
    assert np.array_equal(noto_only.cell("𪚥", width=2), box)
    assert not np.array_equal(GlyphCache(fallbacks=FALLBACK_FACES).cell("𪚥", width=2), box)


def _glyph(face: FontFile, ch: str) -> npt.NDArray[np.uint8]:
    """``ch`` as ``face`` draws it, black on white, for template matching on the PNG."""
    font = ImageFont.truetype(str(face.path), 22, index=face.index)
    img = Image.new("L", (24, 24), 255)
    ImageDraw.Draw(img).text((1, 20), ch, font=font, fill=0, anchor="ls")
    return np.where(np.asarray(img) < 128, 0, 255).astype(np.uint8)


def _best_match(path: Path, template: npt.NDArray[np.uint8]) -> float:
    page = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    return float(cv2.matchTemplate(page, template, cv2.TM_CCOEFF_NORMED).max())


def test_the_test_page_and_every_card_name_print_without_a_box(
        tmp_path: Path, cache: GlyphCache) -> None:
    names = [p.fields["name"] for p in builtin_profiles().values()]
    emu = PrinterEmulator(tmp_path / "receipts", port=0, glyphs=cache).start()
    printer = network_printer(emu, cache, fallback_fonts=FALLBACK_FACES)
    try:
        page = build_test_page(TestPageInput("XS-DEV-0001", "printer",
                                             datetime(2026, 12, 5, 9, 0, tzinfo=UTC),
                                             include_rare=True), ReceiptCatalog("zh_CN"))
        page = replace(page, blocks=(*(para(n) for n in names), *page.blocks))  # before the cut
        result = printer.print_document(page)
        assert result.ok and result.mode == "raster"
        path = emu.wait_for_jobs(1)[0].path
    finally:
        printer.close()
        emu.stop()
    for ch in "䶮𠮷𡈼𪚥":  # the rare ones (a simple glyph such as 三 is a poor template)
        face = cache.chain.faces[cache.chain.face_for(ch) or 0]
        assert _best_match(path, _glyph(face, ch)) > 0.9, f"U+{ord(ch):04X} not printed"
    for face in cache.chain.faces:
        assert _best_match(path, _glyph(face, NOWHERE)) < 0.8, f"a box from {face.path.name}"
