"""Byte-exact ESC/POS for the document primitives (Epson ESC/POS command reference)."""

from __future__ import annotations

import pytest

from devices.printer import commands as cmd
from devices.printer.document import (
    DOUBLE,
    Align,
    Cut,
    Document,
    Feed,
    Image,
    Paragraph,
    QrCode,
    Run,
    Separator,
    para,
)
from devices.printer.glyphs import GlyphCache
from devices.printer.layout import layout
from devices.printer.profile import profile_for
from devices.printer.render import RasterEncoder, TextEncoder, render

HEAD = b"\x1b@" + b"\x1c&" + b"\x1b2"  # ESC @, FS &, ESC 2


def test_primitives() -> None:
    assert cmd.align(Align.CENTER) == b"\x1ba\x01"
    assert cmd.bold(True) == b"\x1bE\x01" and cmd.bold(False) == b"\x1bE\x00"
    assert cmd.char_size(2, 2) == b"\x1d!\x11" and cmd.char_size(1, 2) == b"\x1d!\x01"
    assert cmd.feed_lines(3) == b"\x1bd\x03"
    assert cmd.feed_lines(300) == b"\x1bd\xff\x1bd\x2d"
    assert cmd.feed_dots(6) == b"\x1bJ\x06"
    assert cmd.left_margin(264) == b"\x1dL\x08\x01"
    assert cmd.cut(partial=True) == b"\x1dV\x42\x00"
    assert cmd.cut(partial=False) == b"\x1dV\x41\x00"
    assert cmd.raster(1, 2, b"\x80\x01") == b"\x1dv0\x00\x01\x00\x02\x00\x80\x01"
    assert cmd.STATUS_PRINTER == b"\x10\x04\x01" and cmd.STATUS_PAPER == b"\x10\x04\x04"
    with pytest.raises(ValueError):
        cmd.raster(2, 2, b"\x00")


def test_qr_code_functions() -> None:
    assert cmd.qr("AB", 6, "M") == (
        b"\x1d(k\x04\x001A2\x00"       # fn 165: model 2
        b"\x1d(k\x03\x001C\x06"        # fn 167: module 6 dots
        b"\x1d(k\x03\x001E1"           # fn 169: level M (49)
        b"\x1d(k\x05\x001P0AB"         # fn 180: store "AB"
        b"\x1d(k\x03\x001Q0"           # fn 181: print
    )


def test_text_mode_document_bytes(glyphs: GlyphCache) -> None:
    doc = Document("t", (
        para("受理回执", bold=True, align=Align.CENTER, size=DOUBLE),
        Paragraph((Run("编号："), Run("A1", bold=True))),
        Separator("-"),
        Feed(2),
        Cut(),
    ))
    profile = profile_for(58)
    data, subs, _ = TextEncoder(profile, glyphs).encode(layout(doc, profile.columns))
    assert subs == 0
    assert data == (
        HEAD
        + b"\x1ba\x01" + b"\x1d!\x11" + b"\x1bE\x01" + "受理回执".encode("gb18030") + b"\n"
        + b"\x1ba\x00" + b"\x1d!\x00" + b"\x1bE\x00" + "编号：".encode("gb18030")
        + b"\x1bE\x01" + b"A1" + b"\n"
        + b"\x1bE\x00" + b"-" * 32 + b"\n"
        + b"\x1bd\x02"
        + b"\x1dV\x42\x00"
    )


def test_text_mode_rare_characters_never_become_question_marks_silently(
        glyphs: GlyphCache) -> None:
    doc = Document("t", (para("王𠮷"),))
    forced = render(doc, profile_for(80), "text", glyphs)
    assert forced.mode == "text" and forced.substitutions == 1
    assert forced.data.endswith("王".encode("gb18030") + b"??\n")
    auto = render(doc, profile_for(80), "auto", glyphs)
    assert auto.mode == "raster" and "gbk" in auto.reason
    # A printer whose font has the 4-byte plane prints it as text, in GB 18030.
    full = render(doc, profile_for(80, text_charset="gb18030"), "auto", glyphs)
    assert full.mode == "text" and "𠮷".encode("gb18030") == b"\x95\x34\xb2\x35"
    assert b"\x95\x34\xb2\x35" in full.data


def test_charsets() -> None:
    gb2312 = profile_for(80, text_charset="gb2312")
    assert gb2312.can_print("张") and not gb2312.can_print("镕")  # 镕 is GBK, not GB2312
    assert profile_for(80).can_print("镕") and not profile_for(80).can_print("䶮")
    assert not profile_for(80).can_print("\x07")


def test_native_qr_and_image_in_text_mode(glyphs: GlyphCache) -> None:
    # An 8x2 image whose ink is in the second byte column, centred on 58 mm (384 dots).
    img = Image(16, 2, b"\x00\xff\x00\x81", Align.CENTER)
    doc = Document("t", (QrCode("AB", module=4), img))
    profile = profile_for(58)
    data, _, _ = TextEncoder(profile, glyphs).encode(layout(doc, profile.columns))
    x = (384 - 16) // 2 + 8  # ink starts 8 dots into the image
    assert data == (HEAD + b"\x1ba\x01" + cmd.qr("AB", 4, "M")
                    + cmd.left_margin(x) + b"\x1dv0\x00\x01\x00\x02\x00\xff\x81"
                    + cmd.left_margin(0))


def test_raster_band_is_trimmed_and_blank_rows_are_feeds(glyphs: GlyphCache) -> None:
    profile = profile_for(80)
    doc = Document("t", (para("-"), Feed(1), Cut()))
    data, _ = RasterEncoder(profile, glyphs).encode(layout(doc, profile.columns))
    bitmap = RasterEncoder(profile, glyphs).line_bitmap(layout(doc, 48)[0])  # type: ignore[arg-type]
    rows = [r for r in range(24) if bitmap[r].any()]
    top, bottom = rows[0], rows[-1] + 1
    assert data.startswith(b"\x1b@" + cmd.feed_dots(top) + b"\x1dv0\x00\x02\x00"
                           + bytes((bottom - top, 0)))
    # After the band: the rest of the cell, the line gap and the blank line are one feed.
    assert data.endswith(cmd.feed_dots(24 - bottom + 6 + 30) + b"\x1dV\x42\x00")
    assert len(data) < 60
