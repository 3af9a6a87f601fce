"""ESC/POS command bytes (Epson "ESC/POS Command Reference", TM series).

Only the commands the kiosk uses; each function returns the exact bytes so the
tests can compare them. Numbers are little-endian (nL nH) as the reference
specifies. Text is GB 18030 after ``FS &`` (Chinese character mode, the mode
Chinese models start in): python-escpos's ``text()`` picks GB2312 and prints
"?" for anything outside it, so the kiosk encodes itself and sends raw bytes.
"""

from __future__ import annotations

from devices.printer.document import Align

ESC = b"\x1b"
GS = b"\x1d"
FS = b"\x1c"
DLE = b"\x10"
EOT = b"\x04"
LF = b"\n"

INIT = ESC + b"@"                 # ESC @: initialise (clears the buffer and modes)
CHINESE_ON = FS + b"&"            # FS &: select Kanji (Chinese) character mode
CHINESE_OFF = FS + b"."           # FS .: cancel it
DEFAULT_LINE_SPACING = ESC + b"2"  # ESC 2: about 1/6 inch (30 dots at 203 dpi)

# Real-time status (DLE EOT n): answered at once, even while printing.
STATUS_PRINTER = DLE + EOT + b"\x01"   # n=1 printer status: bit 3 = offline
STATUS_OFFLINE = DLE + EOT + b"\x02"   # n=2 offline cause: bit 2 cover, bit 5 paper end
STATUS_ERROR = DLE + EOT + b"\x03"     # n=3 error cause
STATUS_PAPER = DLE + EOT + b"\x04"     # n=4 roll paper sensor: bits 2-3 near end, 5-6 end

_QR_EC = {"L": 48, "M": 49, "Q": 50, "H": 51}


def align(a: Align) -> bytes:
    return ESC + b"a" + bytes((a.value,))


def bold(on: bool) -> bytes:
    return ESC + b"E" + (b"\x01" if on else b"\x00")


def char_size(width: int, height: int) -> bytes:
    """GS ! n: bits 4-6 width multiplier - 1, bits 0-2 height multiplier - 1."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise ValueError("size multipliers are 1-8")
    return GS + b"!" + bytes((((width - 1) << 4) | (height - 1),))


def _repeated(command: bytes, n: int) -> bytes:
    """``command`` with a one-byte count, as many times as ``n`` needs (0-255 each)."""
    out = b""
    while n > 0:
        step = min(n, 255)
        out += command + bytes((step,))
        n -= step
    return out


def feed_lines(n: int) -> bytes:
    """ESC d n: print and feed n lines (0-255)."""
    return _repeated(ESC + b"d", n)


def feed_dots(n: int) -> bytes:
    """ESC J n: print and feed n dots (0-255 each)."""
    return _repeated(ESC + b"J", n)


def left_margin(dots: int) -> bytes:
    """GS L nL nH: left margin in dots (effective at the start of a line)."""
    if not 0 <= dots <= 0xFFFF:
        raise ValueError("left margin out of range")
    return GS + b"L" + dots.to_bytes(2, "little")


def _qr_fn(fn: int, data: bytes) -> bytes:
    # GS ( k pL pH cn fn [data]: cn = 49 ('1') selects the QR code symbol.
    length = len(data) + 2
    if length > 0xFFFF:
        raise ValueError("QR data too long")
    return GS + b"(k" + length.to_bytes(2, "little") + b"1" + bytes((fn,)) + data


def qr(payload: str, module: int, ec: str) -> bytes:
    """Store and print a QR code (GS ( k functions 165, 167, 169, 180, 181)."""
    data = payload.encode("ascii")
    return (
        _qr_fn(65, b"2\x00")                 # fn 165: model 2
        + _qr_fn(67, bytes((module,)))       # fn 167: module size in dots
        + _qr_fn(69, bytes((_QR_EC[ec],)))   # fn 169: error correction level
        + _qr_fn(80, b"0" + data)            # fn 180: store the data
        + _qr_fn(81, b"0")                   # fn 181: print the stored symbol
    )


def raster(width_bytes: int, rows: int, data: bytes) -> bytes:
    """GS v 0 m xL xH yL yH d...: raster bit image, normal density (m = 0)."""
    if len(data) != width_bytes * rows or not (0 < width_bytes <= 0xFFFF and 0 < rows <= 0xFFFF):
        raise ValueError("raster data does not match its size")
    return (GS + b"v0\x00" + width_bytes.to_bytes(2, "little") + rows.to_bytes(2, "little")
            + data)


def cut(partial: bool) -> bytes:
    """GS V m n (function B): feed to the cutter position (+ n dots) and cut."""
    return GS + b"V" + bytes((66 if partial else 65, 0))
