"""What one receipt printer model can do, as data.

Thermal printers print 8 dots per mm (203 dpi). Paper 80 mm wide gives 72 mm
printable = 576 dots; 58 mm paper gives 48 mm = 384 dots. In text mode the
printer's own font A cell is 12 x 24 dots (half-width) and 24 x 24 (Chinese),
so 576 dots hold 48 columns and 384 dots 32.

``text_charset`` is what the printer's resident font can draw. Chinese models
ship GB2312 or GBK fonts (two-byte codes); some newer ones have the GB 18030
two-byte plane; very few carry the four-byte codes (Ext A/B rare characters
such as 䶮 and 𠮷). A character outside the charset switches the receipt to
raster mode in ``auto`` mode, rather than letting the printer print "?".
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

TextCharset = Literal["gb2312", "gbk", "gb18030-2", "gb18030"]
Mode = Literal["text", "raster", "auto"]


@dataclass(frozen=True)
class PrinterProfile:
    name: str
    paper_mm: int
    dots: int  # printable width in dots
    text_charset: TextCharset = "gbk"
    raster: bool = True  # GS v 0
    native_qr: bool = True  # GS ( k, function 165-169 (QR model 2)
    cut: bool = True
    partial_cut: bool = True
    status: bool = True  # answers DLE EOT (needs a two-way transport)
    cell_dots: int = 12  # width of a half-width character of font A
    qr_module: int = 6  # QR module size in dots that scans well at this width
    line_dots: int = 30  # default line spacing (ESC 2): 24-dot font + 6 dots

    @property
    def columns(self) -> int:
        return self.dots // self.cell_dots

    def can_print(self, ch: str) -> bool:
        """Whether the resident font draws ``ch`` (one code point) in text mode."""
        return _printable(self.text_charset, ch)

    def describe(self) -> str:
        return (f"{self.name}: {self.paper_mm} mm / {self.dots} dots / {self.columns} columns, "
                f"text {self.text_charset}, raster {'yes' if self.raster else 'no'}, "
                f"QR {'native' if self.native_qr else 'image'}, "
                f"cut {'yes' if self.cut else 'no'}, status {'yes' if self.status else 'no'}")


@functools.lru_cache(maxsize=32768)
def _printable(charset: TextCharset, ch: str) -> bool:
    o = ord(ch)
    if o < 0x80:
        return 0x20 <= o < 0x7F
    codec = "gb18030" if charset.startswith("gb18030") else charset
    try:
        encoded = ch.encode(codec)
    except UnicodeEncodeError:
        return False
    if len(encoded) == 4:
        return charset == "gb18030"
    return len(encoded) == 2


def profile_for(paper_mm: int, *, text_charset: TextCharset = "gbk", native_qr: bool = True,
                status: bool = True, name: str = "") -> PrinterProfile:
    """The usual 58 mm or 80 mm Chinese ESC/POS printer."""
    if paper_mm == 58:
        return PrinterProfile(name or "generic-58", 58, 384, text_charset, native_qr=native_qr,
                              status=status, qr_module=5)
    if paper_mm == 80:
        return PrinterProfile(name or "generic-80", 80, 576, text_charset, native_qr=native_qr,
                              status=status)
    raise ValueError(f"no profile for {paper_mm} mm paper")
