"""A receipt document as one ESC/POS job, in text mode or raster mode.

Text mode sends characters (GB 18030 after ``FS &``) and lets the printer's
resident font draw them: small and fast. Raster mode draws every line with
Noto Sans CJK SC on the printer's own 12/24-dot grid and sends 1-bit images
(``GS v 0``): larger, but it prints any character the font has. ``auto``
picks text mode unless some character is outside what the printer's font can
draw (profile ``text_charset``: 4-byte GB 18030 such as 𠮷, or anything not
encodable), so a rare character in a name is printed, never turned into "?".

Raster jobs stay small: each line is trimmed to its inked rows and byte
columns (``GS L`` places it), and blank rows become paper feeds (``ESC J``)
instead of zero bytes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import qrcode
import qrcode.constants
import qrcode.exceptions

from devices.printer import commands as cmd
from devices.printer.document import Align, Cut, Document, Feed, Image, QrCode
from devices.printer.glyphs import CELL_H, HALF_W, Bitmap, GlyphCache, scale
from devices.printer.layout import LaidOut, TextLine, clusters, layout, text_width
from devices.printer.profile import Mode, PrinterProfile
from kiosk.errors import PrinterError

JobMode = Literal["text", "raster"]

_QR_EC = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
          "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}


@dataclass(frozen=True)
class RenderedJob:
    """The bytes of one printout and how they were made (no personal data in repr)."""

    kind: str
    mode: JobMode
    data: bytes
    reason: str = ""  # why raster was chosen in auto mode
    substitutions: int = 0  # characters printed as "?" (text mode forced on a poor font)
    #: Offsets between whole commands: the only places a sender may pause to ask
    #: DLE EOT (inside GS v 0 data, 10 04 01 would be picture dots).
    breaks: tuple[int, ...] = ()

    def chunks(self, size: int) -> list[bytes]:
        """The job cut at command boundaries into pieces of about ``size`` bytes."""
        cuts = [0]
        end = len(self.data)
        for b in (*self.breaks, end):
            if (b - cuts[-1] >= size or b == end) and b > cuts[-1]:
                cuts.append(b)
        return [self.data[a:b] for a, b in itertools.pairwise(cuts)]

    def __repr__(self) -> str:
        return f"RenderedJob({self.kind!r}, {self.mode}, {len(self.data)} bytes)"


def unprintable(doc_lines: list[LaidOut], profile: PrinterProfile) -> int:
    """How many characters the printer's resident font cannot draw."""
    count = 0
    for item in doc_lines:
        if isinstance(item, TextLine):
            count += sum(1 for ch in item.text if not profile.can_print(ch))
    return count


def choose_mode(lines: list[LaidOut], profile: PrinterProfile, requested: Mode) -> tuple[
        JobMode, str]:
    if requested == "raster" and profile.raster:
        return "raster", "configured"
    if requested == "auto" and profile.raster:
        missing = unprintable(lines, profile)
        if missing:
            return "raster", f"{missing} character(s) outside {profile.text_charset}"
    return "text", ""


def render(doc: Document, profile: PrinterProfile, mode: Mode, glyphs: GlyphCache) -> RenderedJob:
    lines = layout(doc, profile.columns)
    chosen, reason = choose_mode(lines, profile, mode)
    if chosen == "raster":
        data, breaks = RasterEncoder(profile, glyphs).encode(lines)
        return RenderedJob(doc.kind, "raster", data, reason, 0, breaks)
    data, subs, breaks = TextEncoder(profile, glyphs).encode(lines)
    return RenderedJob(doc.kind, "text", data, reason, subs, breaks)


# --------------------------------------------------------------------------- shared pieces

def line_offset(line: TextLine, profile: PrinterProfile) -> int:
    """Dots from the left edge where a line starts (ESC a justification)."""
    used = line.columns * profile.cell_dots
    if line.align is Align.CENTER:
        return max(0, (profile.dots - used) // 2)
    if line.align is Align.RIGHT:
        return max(0, profile.dots - used)
    return 0


def qr_bitmap(q: QrCode, module: int) -> Bitmap:
    code = qrcode.QRCode(version=None, error_correction=_QR_EC[q.ec], box_size=1, border=0)
    code.add_data(q.payload.encode("ascii"))
    try:
        code.make(fit=True)
    except (qrcode.exceptions.DataOverflowError, ValueError):  # qrcode 8 raises either
        raise PrinterError(f"QR payload of {len(q.payload)} bytes does not fit a QR code") from None
    matrix = np.array(code.get_matrix(), dtype=bool)
    return np.kron(matrix, np.ones((module, module), dtype=bool)).astype(bool)


def image_bitmap(img: Image) -> Bitmap:
    rows = np.frombuffer(img.data, dtype=np.uint8).reshape(img.height, img.row_bytes)
    return np.unpackbits(rows, axis=1)[:, : img.width].astype(bool)


def aligned_x(width: int, a: Align, dots: int) -> int:
    if a is Align.CENTER:
        return max(0, (dots - width) // 2)
    if a is Align.RIGHT:
        return max(0, dots - width)
    return 0


class _Bands:
    """Emits bitmaps as trimmed GS v 0 bands with feeds for blank rows."""

    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile
        self.out = bytearray()
        self.pending_feed = 0
        self.margin = 0

    def feed(self, dots: int) -> None:
        self.pending_feed += dots

    def flush_feed(self) -> None:
        self.out += cmd.feed_dots(self.pending_feed)
        self.pending_feed = 0

    def set_margin(self, dots: int) -> None:
        if dots != self.margin:
            self.out += cmd.left_margin(dots)
            self.margin = dots

    def bitmap(self, bmp: Bitmap, x0: int) -> None:
        """Print ``bmp`` with its left edge at ``x0`` dots; advance by its height."""
        height = bmp.shape[0]
        ink_rows = np.flatnonzero(bmp.any(axis=1))
        if ink_rows.size == 0:
            self.feed(height)
            return
        ink_cols = np.flatnonzero(bmp.any(axis=0))
        top, bottom = int(ink_rows[0]), int(ink_rows[-1]) + 1
        left = (x0 + int(ink_cols[0])) // 8 * 8
        right = min(x0 + int(ink_cols[-1]) + 1, self.profile.dots)
        width_bytes = (right - left + 7) // 8
        band = np.zeros((bottom - top, width_bytes * 8), dtype=bool)
        src_start, dst_start = max(0, left - x0), max(0, x0 - left)
        n = min(bmp.shape[1] - src_start, band.shape[1] - dst_start)
        band[:, dst_start:dst_start + n] = bmp[top:bottom, src_start:src_start + n]
        self.feed(top)
        self.flush_feed()
        self.set_margin(left)
        self.out += cmd.raster(width_bytes, bottom - top, np.packbits(band, axis=1).tobytes())
        self.feed(height - bottom)


# --------------------------------------------------------------------------- text mode

class TextEncoder:
    def __init__(self, profile: PrinterProfile, glyphs: GlyphCache) -> None:
        self.profile = profile
        self.glyphs = glyphs

    def encode(self, lines: list[LaidOut]) -> tuple[bytes, int, tuple[int, ...]]:
        p = self.profile
        out = bytearray(cmd.INIT + cmd.CHINESE_ON + cmd.DEFAULT_LINE_SPACING)
        cur_align, cur_bold, cur_size = Align.LEFT, False, (1, 1)
        subs = 0
        breaks = []
        for item in lines:
            breaks.append(len(out))
            if isinstance(item, TextLine):
                if item.align is not cur_align:
                    out += cmd.align(item.align)
                    cur_align = item.align
                size = (item.size.width, item.size.height)
                if size != cur_size:
                    out += cmd.char_size(*size)
                    cur_size = size
                out += b" " * item.indent
                for seg in item.segments:
                    if seg.bold != cur_bold:
                        out += cmd.bold(seg.bold)
                        cur_bold = seg.bold
                    data, n = self._encode(seg.text)
                    out += data
                    subs += n
                out += cmd.LF
            elif isinstance(item, QrCode):
                if p.native_qr:
                    if item.align is not cur_align:
                        out += cmd.align(item.align)
                        cur_align = item.align
                    out += cmd.qr(item.payload, min(item.module, p.qr_module), item.ec)
                else:
                    out += self._image(qr_bitmap(item, min(item.module, p.qr_module)), item.align)
            elif isinstance(item, Image):
                out += self._image(image_bitmap(item), item.align)
            elif isinstance(item, Feed):
                out += cmd.feed_lines(item.lines)
            elif isinstance(item, Cut):
                out += cmd.cut(item.partial and p.partial_cut) if p.cut else cmd.feed_lines(4)
        return bytes(out), subs, tuple(breaks)

    def _encode(self, text: str) -> tuple[bytes, int]:
        if all(self.profile.can_print(c) for c in text):
            return text.encode("gb18030"), 0
        out = bytearray()
        subs = 0
        for cl in clusters(text):
            if all(self.profile.can_print(c) for c in cl):
                out += cl.encode("gb18030")
            else:
                out += b"?" * text_width(cl)
                subs += 1
        return bytes(out), subs

    def _image(self, bmp: Bitmap, a: Align) -> bytes:
        bands = _Bands(self.profile)
        bands.bitmap(bmp, aligned_x(bmp.shape[1], a, self.profile.dots))
        bands.flush_feed()
        bands.set_margin(0)
        return bytes(bands.out)


# --------------------------------------------------------------------------- raster mode

class RasterEncoder:
    def __init__(self, profile: PrinterProfile, glyphs: GlyphCache) -> None:
        self.profile = profile
        self.glyphs = glyphs

    def encode(self, lines: list[LaidOut]) -> tuple[bytes, tuple[int, ...]]:
        p = self.profile
        bands = _Bands(p)
        bands.out += cmd.INIT
        breaks = []
        for item in lines:
            breaks.append(len(bands.out))
            if isinstance(item, TextLine):
                bmp = self.line_bitmap(item)
                bands.bitmap(bmp, 0)
                bands.feed(max(0, p.line_dots - bmp.shape[0]))
            elif isinstance(item, QrCode):
                module = min(item.module, p.qr_module)
                if p.native_qr:
                    bands.flush_feed()
                    bands.set_margin(0)
                    bands.out += cmd.align(item.align) + cmd.qr(item.payload, module, item.ec)
                    bands.out += cmd.align(Align.LEFT)
                else:
                    bmp = qr_bitmap(item, module)
                    bands.bitmap(bmp, aligned_x(bmp.shape[1], item.align, p.dots))
            elif isinstance(item, Image):
                bmp = image_bitmap(item)
                bands.bitmap(bmp, aligned_x(bmp.shape[1], item.align, p.dots))
            elif isinstance(item, Feed):
                bands.feed(item.lines * p.line_dots)
            elif isinstance(item, Cut):
                bands.flush_feed()
                bands.set_margin(0)
                bands.out += (cmd.cut(item.partial and p.partial_cut) if p.cut
                              else cmd.feed_lines(4))
        bands.flush_feed()
        bands.set_margin(0)
        return bytes(bands.out), tuple(breaks)

    def line_bitmap(self, line: TextLine) -> Bitmap:
        p = self.profile
        w, h = line.size.width, line.size.height
        bmp = np.zeros((CELL_H * h, p.dots), dtype=bool)
        x = line_offset(line, p) + line.indent * HALF_W * w
        for seg in line.segments:
            for cl in clusters(seg.text):
                cols = text_width(cl)
                if cols == 0:
                    continue
                cell = scale(self.glyphs.cell(cl, seg.bold, cols), w, h)
                end = min(x + cell.shape[1], p.dots)
                if end > x:
                    bmp[:, x:end] |= cell[:, : end - x]
                x += cols * HALF_W * w
        return bmp
