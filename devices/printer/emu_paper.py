"""The emulated print head: applies parsed commands and draws the paper.

State follows ESC/POS: ESC @ resets modes; FS & / FS . switch Chinese
(double-byte GB 18030) character mode; ESC E bold; GS ! size; ESC a
justification; GS L left margin; ESC 2 / ESC 3 line spacing; LF prints the
line buffer; ESC d / ESC J feed; GS ( k stores and prints a QR code; GS v 0
prints a raster image at the left margin; GS V cuts. Each cut closes a
:class:`PrintedJob`: the picture of the paper, the text lines as decoded and
the QR payloads, for tests and for the technician.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import qrcode
import qrcode.constants
from PIL import Image

from devices.printer.emu_parser import Block, Command, Event, Raster, Skipped, Text
from devices.printer.glyphs import CELL_H, HALF_W, Bitmap, GlyphCache, scale
from devices.printer.layout import clusters

log = logging.getLogger(__name__)

_EC = {48: qrcode.constants.ERROR_CORRECT_L, 49: qrcode.constants.ERROR_CORRECT_M,
       50: qrcode.constants.ERROR_CORRECT_Q, 51: qrcode.constants.ERROR_CORRECT_H}
MAX_ROWS = 20000  # a job longer than ~2.5 m of paper is cut off (bounded memory)
Args = tuple[int, ...]


@dataclass
class PrintedJob:
    lines: list[str] = field(default_factory=list)  # decoded text, one entry per printed line
    qr_payloads: list[str] = field(default_factory=list)
    rasters: list[Bitmap] = field(default_factory=list)  # GS v 0 images as received
    strips: list[Bitmap] = field(default_factory=list)
    complete: bool = False  # ended with a cut
    skipped: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.strips and not self.lines

    def image(self, dots: int, margin: int = 16) -> Image.Image:
        """The paper as a picture: black dots on white, with a margin."""
        body = np.vstack(self.strips) if self.strips else np.zeros((1, dots), dtype=bool)
        canvas = np.full((body.shape[0] + 2 * margin, dots + 2 * margin), 255, dtype=np.uint8)
        canvas[margin:margin + body.shape[0], margin:margin + dots][body] = 0
        return Image.fromarray(canvas, "L")


class Paper:
    def __init__(self, dots: int, glyphs: GlyphCache, *, chinese: bool = True) -> None:
        self.dots = dots
        self.glyphs = glyphs
        self.chinese_default = chinese
        self.job = PrintedJob()
        self.rows = 0
        self._reset()

    def _reset(self) -> None:
        self.chinese = self.chinese_default
        self.bold = False
        self.size = (1, 1)
        self.align = 0
        self.margin = 0
        self.spacing = 30
        self.line: list[tuple[bytes, bool, tuple[int, int]]] = []
        self.qr_module, self.qr_ec, self.qr_data = 3, 48, b""

    # -- applying events ------------------------------------------------------------
    def apply(self, event: Event) -> PrintedJob | None:
        """Apply one event; returns the finished job when it was a cut."""
        if isinstance(event, Text):
            self.line.append((event.data, self.bold, self.size))
        elif isinstance(event, Command):
            return self._command(event)
        elif isinstance(event, Raster):
            self._raster(event)
        elif isinstance(event, Block):
            self._block(event)
        elif isinstance(event, Skipped):
            self.job.skipped.append(event.what)
        return None

    def _command(self, c: Command) -> PrintedJob | None:
        handler = _COMMANDS.get(c.name)
        return None if handler is None else handler(self, c.args)

    # -- one method per command (Epson ESC/POS reference) -------------------------------
    def _cmd_lf(self, _a: Args) -> None:
        self.print_line()

    def _cmd_init(self, _a: Args) -> None:
        self.line = []
        self._reset()

    def _cmd_chinese_on(self, _a: Args) -> None:
        self.chinese = True

    def _cmd_chinese_off(self, _a: Args) -> None:
        self.chinese = False

    def _cmd_bold(self, a: Args) -> None:
        self.bold = bool(a[0] & 1)

    def _cmd_print_mode(self, a: Args) -> None:
        self.bold = bool(a[0] & 0x08)
        self.size = (2 if a[0] & 0x20 else 1, 2 if a[0] & 0x10 else 1)

    def _cmd_size(self, a: Args) -> None:
        self.size = ((a[0] >> 4 & 7) + 1, (a[0] & 7) + 1)

    def _cmd_justify(self, a: Args) -> None:
        self.align = a[0] % 48 if a[0] % 48 <= 2 else 0

    def _cmd_left_margin(self, a: Args) -> None:
        self.margin = min(a[0] | a[1] << 8, self.dots - HALF_W)

    def _cmd_default_spacing(self, _a: Args) -> None:
        self.spacing = 30

    def _cmd_spacing(self, a: Args) -> None:
        self.spacing = a[0]

    def _cmd_feed_lines(self, a: Args) -> None:
        # Print and feed n lines: ESC d 1 is LF; with an empty buffer, n blank lines.
        if self.line:
            self.print_line()
            self.feed(max(0, a[0] - 1) * self.spacing)
        else:
            self.feed(a[0] * self.spacing)

    def _cmd_feed_dots(self, a: Args) -> None:
        self.print_line(feed=False)
        self.feed(a[0])

    def _cmd_cut(self, _a: Args) -> PrintedJob:
        if self.line:
            self.print_line()
        return self.cut()

    # -- drawing -----------------------------------------------------------------------
    def add_strip(self, strip: Bitmap) -> None:
        if self.rows + strip.shape[0] > MAX_ROWS:
            return
        self.rows += strip.shape[0]
        self.job.strips.append(strip)

    def feed(self, dots: int) -> None:
        if dots > 0:
            self.add_strip(np.zeros((dots, self.dots), dtype=bool))

    def _decode(self, data: bytes) -> list[tuple[str, int]]:
        """Characters with their cell width in columns, as the printer's font places them."""
        if not self.chinese:
            return [(ch, 1) for ch in data.decode("cp437", "replace")]
        out = []
        for cl in clusters(data.decode("gb18030", "replace")):
            width = 1 if len(cl.encode("gb18030", "replace")) == 1 else 2
            out.append((cl, width))
        return out

    def print_line(self, feed: bool = True) -> None:
        """Print the line buffer (LF); an empty buffer still feeds one line."""
        pieces = [(ch, w, bold, size) for data, bold, size in self.line
                  for ch, w in self._decode(data)]
        self.line = []
        if not pieces:
            if feed:
                self.feed(self.spacing)
            return
        text = "".join(p[0] for p in pieces)
        self.job.lines.append(text)
        height = max(CELL_H * p[3][1] for p in pieces)
        width = sum(HALF_W * p[1] * p[3][0] for p in pieces)
        x = self._aligned(width)
        strip = np.zeros((max(height, self.spacing if feed else height), self.dots), dtype=bool)
        for ch, w, bold, (sw, sh) in pieces:
            cell = scale(self.glyphs.cell(ch, bold, w), sw, sh)
            if x + cell.shape[1] > self.dots:
                break  # the rest would wrap on a real printer; receipts never rely on it
            strip[height - cell.shape[0]:height, x:x + cell.shape[1]] |= cell
            x += cell.shape[1]
        self.add_strip(strip)

    def _aligned(self, width: int) -> int:
        """Where ESC a puts something ``width`` dots wide, inside the left margin."""
        room = self.dots - self.margin
        offset = {0: 0, 1: max(0, (room - width) // 2), 2: max(0, room - width)}[self.align]
        return self.margin + offset

    def _raster(self, r: Raster) -> None:
        self.print_line(feed=False)
        if r.width_bytes == 0 or r.rows == 0:
            return
        bits = np.unpackbits(np.frombuffer(r.data, dtype=np.uint8).reshape(r.rows, r.width_bytes),
                             axis=1).astype(bool)
        self.job.rasters.append(bits)
        bits = scale(bits, 2 if r.m & 1 else 1, 2 if r.m & 2 else 1)
        strip = np.zeros((bits.shape[0], self.dots), dtype=bool)
        n = min(bits.shape[1], self.dots - self.margin)
        strip[:, self.margin:self.margin + n] = bits[:, :n]
        self.add_strip(strip)

    def _block(self, b: Block) -> None:
        if b.name != "GS (k" or len(b.data) < 2 or b.data[0] != 49:  # cn 49: QR code
            self.job.skipped.append(b.name)
            return
        fn, arg = b.data[1], b.data[2:]
        if fn == 67 and arg:
            self.qr_module = min(16, max(1, arg[0]))
        elif fn == 69 and arg:
            self.qr_ec = arg[0] if arg[0] in _EC else 48
        elif fn == 80 and arg:
            self.qr_data = bytes(arg[1:])  # m = '0', then the data
        elif fn == 81:
            self._print_qr()

    def _print_qr(self) -> None:
        self.print_line(feed=False)
        if not self.qr_data:
            return
        code = qrcode.QRCode(error_correction=_EC[self.qr_ec], box_size=1, border=0)
        code.add_data(self.qr_data)
        try:
            code.make(fit=True)
        except (ValueError, qrcode.exceptions.DataOverflowError):
            self.job.skipped.append("GS (k QR too large")
            return
        self.job.qr_payloads.append(self.qr_data.decode("latin-1"))
        matrix = np.kron(np.array(code.get_matrix(), dtype=bool),
                         np.ones((self.qr_module, self.qr_module), dtype=bool)).astype(bool)
        size = min(matrix.shape[1], self.dots)
        x = min(self._aligned(size), self.dots - size)
        quiet = 4 * self.qr_module  # ISO/IEC 18004 quiet zone, printed as blank paper
        strip = np.zeros((matrix.shape[0] + 2 * quiet, self.dots), dtype=bool)
        strip[quiet:quiet + matrix.shape[0], x:x + size] = matrix[:, :size]
        self.add_strip(strip)

    def cut(self) -> PrintedJob:
        job = self.job
        job.complete = True
        self.job = PrintedJob()
        self.rows = 0
        return job

    def abandon(self) -> PrintedJob:
        """Paper ran out or the cover opened: what was printed so far, incomplete."""
        self.line = []
        job = self.job
        self.job = PrintedJob()
        self.rows = 0
        self._reset()
        return job


#: What each command does to the print head; other commands change nothing drawn.
_COMMANDS: dict[str, Callable[[Paper, Args], PrintedJob | None]] = {
    "LF": Paper._cmd_lf,
    "ESC @": Paper._cmd_init,
    "FS &": Paper._cmd_chinese_on,
    "FS .": Paper._cmd_chinese_off,
    "ESC E": Paper._cmd_bold,
    "ESC !": Paper._cmd_print_mode,
    "GS !": Paper._cmd_size,
    "ESC a": Paper._cmd_justify,
    "GS L": Paper._cmd_left_margin,
    "ESC 2": Paper._cmd_default_spacing,
    "ESC 3": Paper._cmd_spacing,
    "ESC d": Paper._cmd_feed_lines,
    "ESC J": Paper._cmd_feed_dots,
    "GS V": Paper._cmd_cut,
}
