"""Receipts as data: what to print, not how a given printer prints it.

A :class:`Document` is a sequence of blocks. Paragraphs hold styled runs of
text and are wrapped to the paper only when a printer renders them (see
:mod:`devices.printer.layout`), so one document prints on 58 mm and 80 mm paper,
in ESC/POS text mode or as a raster image, and can be looked at in tests
without any device.

The vocabulary is the one thermal receipt printers share (ESC/POS "print
modes"): bold, character size multipliers 1-2 in each direction, left/centre/
right justification, line feeds, a QR code, a bit image and a cut.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Align(enum.Enum):
    LEFT = 0      # the values are ESC a n (ESC/POS "select justification")
    CENTER = 1
    RIGHT = 2


@dataclass(frozen=True)
class Size:
    """Character size multipliers, as ``GS !`` sets them (1-4 each way used here)."""

    width: int = 1
    height: int = 1

    def __post_init__(self) -> None:
        if not (1 <= self.width <= 4 and 1 <= self.height <= 4):
            raise ValueError("character size multipliers are 1 to 4")


NORMAL = Size()
DOUBLE = Size(2, 2)
TALL = Size(1, 2)
HUGE = Size(3, 3)  # queue numbers, read from across the hall


@dataclass(frozen=True)
class Run:
    """A piece of text with one style."""

    text: str
    bold: bool = False


@dataclass(frozen=True)
class Paragraph:
    """Text wrapped to the paper width.

    ``indent`` indents every line by that many columns; ``hanging`` indents
    continuation lines further, which is how a "label：value" line keeps its
    value aligned when it wraps (both only for left-aligned text).
    """

    runs: tuple[Run, ...]
    align: Align = Align.LEFT
    size: Size = NORMAL
    hanging: int = 0
    indent: int = 0

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True)
class Separator:
    """A full-width rule drawn with one half-width character ("-" or "=")."""

    char: str = "-"

    def __post_init__(self) -> None:
        if len(self.char) != 1 or not (0x21 <= ord(self.char) <= 0x7E):
            raise ValueError("a separator is drawn with one printable ASCII character")


@dataclass(frozen=True)
class QrCode:
    """A QR code (model 2). ``module`` is the module size in printer dots."""

    payload: str
    module: int = 6
    ec: str = "M"  # error correction level L, M, Q or H (ISO/IEC 18004)
    align: Align = Align.CENTER

    def __post_init__(self) -> None:
        if not self.payload or not self.payload.isascii():
            raise ValueError("the QR payload is non-empty ASCII (a URL)")
        if not 1 <= self.module <= 16 or self.ec not in ("L", "M", "Q", "H"):
            raise ValueError("QR module size is 1-16 dots, error correction L/M/Q/H")


@dataclass(frozen=True)
class Image:
    """A 1-bit picture (a logo, a signature): ``rows`` of ``width`` dots, MSB first.

    Packed exactly as ``GS v 0`` wants it, so text mode sends it as is.
    """

    width: int
    height: int
    data: bytes
    align: Align = Align.CENTER

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError("an image has a positive size")
        if len(self.data) != self.row_bytes * self.height:
            raise ValueError("image data does not match its size")

    @property
    def row_bytes(self) -> int:
        return (self.width + 7) // 8


@dataclass(frozen=True)
class Feed:
    """Blank lines."""

    lines: int = 1


@dataclass(frozen=True)
class Cut:
    partial: bool = True


Block = Paragraph | Separator | QrCode | Image | Feed | Cut


@dataclass(frozen=True)
class Document:
    """One printout. ``kind`` names it for file names and logs (never personal data)."""

    kind: str
    blocks: tuple[Block, ...]
    language: str = "zh_CN"
    meta: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def qr_payloads(self) -> tuple[str, ...]:
        return tuple(b.payload for b in self.blocks if isinstance(b, QrCode))

    @property
    def text(self) -> str:
        """All paragraph text, one paragraph a line (for tests and searching)."""
        return "\n".join(b.text for b in self.blocks if isinstance(b, Paragraph))


def para(text: str, *, bold: bool = False, align: Align = Align.LEFT, size: Size = NORMAL,
         hanging: int = 0, indent: int = 0) -> Paragraph:
    return Paragraph((Run(text, bold),), align, size, hanging, indent)
