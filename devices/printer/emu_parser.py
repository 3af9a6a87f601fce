"""Incremental ESC/POS parser for the printer emulator.

Bytes arrive in arbitrary pieces (TCP segments, pty reads); :meth:`Parser.feed`
returns the complete commands seen so far and keeps an unfinished one for the
next call. Unknown commands are logged and skipped by their known length, or
one byte at a time; declared payloads larger than :data:`MAX_PAYLOAD` are
skipped without being held in memory. The parser never raises on any input
and always consumes at least one byte per step, so it cannot hang.

Lengths follow the Epson ESC/POS command reference (TM series).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

MAX_PAYLOAD = 4 * 1024 * 1024

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10


@dataclass(frozen=True)
class Text:
    data: bytes


@dataclass(frozen=True)
class Command:
    """A command with fixed parameters, e.g. ``Command("ESC a", (1,))``."""

    name: str
    args: tuple[int, ...] = ()


@dataclass(frozen=True)
class Status:
    """A real-time request: DLE EOT n (``kind`` "EOT") or DLE ENQ n."""

    kind: str
    n: int


@dataclass(frozen=True)
class Raster:
    """GS v 0: ``rows`` rows of ``width_bytes`` bytes; ``m`` bit 0 double width,
    bit 1 double height."""

    m: int
    width_bytes: int
    rows: int
    data: bytes


@dataclass(frozen=True)
class Block:
    """A length-prefixed function such as ``GS ( k`` (QR) or ``GS ( L`` (graphics)."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Skipped:
    """Bytes that were not understood, or a payload too large to keep."""

    what: str
    length: int


Event = Text | Command | Status | Raster | Block | Skipped

# Commands with a fixed number of parameter bytes after the two-byte prefix.
_FIXED: dict[tuple[int, int], int] = {
    **{(ESC, ord(c)): n for c, n in {
        "@": 0, "2": 0, "<": 0, "E": 1, "a": 1, "d": 1, "J": 1, "3": 1, "!": 1, "-": 1,
        "M": 1, "t": 1, "R": 1, "G": 1, "{": 1, "V": 1, " ": 1, "e": 1, "K": 1, "r": 1,
        "U": 1, "L": 0, "S": 0, "T": 1, "%": 1, "?": 1, "$": 2, "\\": 2, "p": 3, "i": 0,
        "m": 0, "u": 1, "v": 0, "=": 1, "D": 0, "W": 8,
    }.items()},
    **{(GS, ord(c)): n for c, n in {
        "!": 1, "L": 2, "W": 2, "B": 1, "H": 1, "h": 1, "w": 1, "f": 1, "a": 1, "r": 1,
        "I": 1, "P": 2, "b": 1, "T": 1, "$": 2, "\\": 2, "^": 3, ":": 0, "E": 1, "<": 0,
        "*": 2, "/": 1, "C": 3, "A": 2, "c": 0, "g": 2,
    }.items()},
    **{(FS, ord(c)): n for c, n in {
        "&": 0, ".": 0, "!": 1, "-": 1, "C": 1, "W": 1, "S": 2, "p": 2, "?": 1, "2": 74,
    }.items()},
    (DLE, 0x05): 1,  # DLE ENQ n
    (DLE, 0x04): 1,  # DLE EOT n
}

_NAMES = {ESC: "ESC", GS: "GS", FS: "FS", DLE: "DLE"}

#: One parsing step: (event, bytes consumed), or None when more bytes are needed.
Step = tuple[Event | None, int] | None


class Parser:
    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self.max_payload = max_payload
        self._buf = bytearray()
        self._skip = 0  # payload bytes still to discard

    @property
    def pending(self) -> int:
        """Bytes held for an unfinished command."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Event]:
        self._buf += data
        events: list[Event] = []
        pos = 0
        buf = self._buf
        while pos < len(buf):
            if self._skip:
                step = min(self._skip, len(buf) - pos)
                self._skip -= step
                pos += step
                continue
            parsed = self._one(buf, pos)
            if parsed is None:
                break  # incomplete: wait for more bytes
            event, size = parsed
            pos += max(1, size)
            if event is not None:
                events.append(event)
        del self._buf[:pos]
        return events

    # Each step returns (event, bytes consumed) or None when more bytes are needed.
    def _one(self, buf: bytearray, pos: int) -> Step:
        b = buf[pos]
        if b >= 0x20 and b != 0x7F:
            end = pos
            while end < len(buf) and buf[end] >= 0x20 and buf[end] != 0x7F:
                end += 1
            return Text(bytes(buf[pos:end])), end - pos
        if b in (0x0A, 0x0D, 0x09, 0x0C, 0x18):
            return Command({0x0A: "LF", 0x0D: "CR", 0x09: "HT", 0x0C: "FF", 0x18: "CAN"}[b]), 1
        if b not in _NAMES:
            return Skipped(f"control 0x{b:02x}", 1), 1
        if pos + 1 >= len(buf):
            return None
        key = (b, buf[pos + 1])
        second = buf[pos + 1]
        name = f"{_NAMES[b]} {chr(second) if 0x20 < second < 0x7F else hex(second)}"
        special = _SPECIAL.get(key)
        if special is not None:
            return special(self, buf, pos, name)
        if key in _FIXED:
            found = self._fixed(buf, pos, name, _FIXED[key])
            if found is not None and key in ((DLE, 0x04), (DLE, 0x05)):
                event, size = found
                assert isinstance(event, Command)
                return Status("EOT" if key[1] == 0x04 else "ENQ", event.args[0]), size
            return found
        log.info("emulator: unknown command %s skipped", name)
        return Skipped(name, 2), 2

    def _fixed(self, buf: bytearray, pos: int, name: str, n: int) -> tuple[Event, int] | None:
        if pos + 2 + n > len(buf):
            return None
        return Command(name, tuple(buf[pos + 2: pos + 2 + n])), 2 + n

    def _raster(self, buf: bytearray, pos: int, _name: str) -> Step:
        if pos + 8 > len(buf):
            return None
        m = buf[pos + 3]
        wb = buf[pos + 4] | buf[pos + 5] << 8
        rows = buf[pos + 6] | buf[pos + 7] << 8
        if buf[pos + 2] not in (0, 0x30):  # GS v 0 only ("0" may arrive as 0x30 or 0)
            return Skipped("GS v ?", 3), 3
        return self._relative(buf, pos, 8, wb * rows,
                              lambda d: Raster(m & 0x03, wb, rows, d), "GS v 0")

    def _relative(self, buf: bytearray, pos: int, header: int, length: int, make: object,
                  what: str) -> tuple[Event | None, int] | None:
        if length > self.max_payload:
            self._skip = length
            return Skipped(what, length), header
        if pos + header + length > len(buf):
            return None
        assert callable(make)
        return make(bytes(buf[pos + header: pos + header + length])), header + length

    def _block(self, buf: bytearray, pos: int, name: str) -> Step:
        if pos + 5 > len(buf):
            return None
        fn = chr(buf[pos + 2]) if 0x20 < buf[pos + 2] < 0x7F else hex(buf[pos + 2])
        length = buf[pos + 3] | buf[pos + 4] << 8
        return self._relative(buf, pos, 5, length, lambda d: Block(f"{name}{fn}", d),
                              f"{name}{fn}")

    def _extended(self, buf: bytearray, pos: int, _name: str) -> Step:
        # GS 8 L p1 p2 p3 p4 ...: four-byte length (large graphics)
        if pos + 7 > len(buf):
            return None
        length = int.from_bytes(buf[pos + 3: pos + 7], "little")
        return self._relative(buf, pos, 7, length, lambda d: Skipped("GS 8", len(d) + 7),
                              "GS 8")

    def _cut(self, buf: bytearray, pos: int, _name: str) -> Step:
        if pos + 3 > len(buf):
            return None
        m = buf[pos + 2]
        if m in (65, 66, 97, 98, 103, 104):  # functions B, C, D take n
            if pos + 4 > len(buf):
                return None
            return Command("GS V", (m, buf[pos + 3])), 4
        return Command("GS V", (m,)), 3

    def _bit_image(self, buf: bytearray, pos: int, _name: str) -> Step:
        if pos + 5 > len(buf):
            return None
        m = buf[pos + 2]
        dots = buf[pos + 3] | buf[pos + 4] << 8
        per = 3 if m in (32, 33) else 1
        return self._relative(buf, pos, 5, dots * per, lambda d: Skipped("ESC *", len(d) + 5),
                              "ESC *")

    def _barcode(self, buf: bytearray, pos: int, _name: str) -> Step:
        if pos + 3 > len(buf):
            return None
        m = buf[pos + 2]
        if m <= 6:  # function A: data up to NUL
            end = buf.find(b"\x00", pos + 3)
            if end < 0:
                if len(buf) - pos > 256:
                    return Skipped("GS k", len(buf) - pos), len(buf) - pos
                return None
            return Skipped("GS k", end + 1 - pos), end + 1 - pos
        if pos + 4 > len(buf):
            return None
        return self._relative(buf, pos, 4, buf[pos + 3], lambda d: Skipped("GS k", len(d) + 4),
                              "GS k")


#: Commands whose length is not fixed (or not the two-byte prefix's), by prefix.
_SPECIAL: dict[tuple[int, int], Callable[[Parser, bytearray, int, str], Step]] = {
    (GS, ord("v")): Parser._raster,
    (GS, ord("(")): Parser._block,
    (ESC, ord("(")): Parser._block,
    (GS, ord("V")): Parser._cut,
    (ESC, ord("*")): Parser._bit_image,
    (GS, ord("k")): Parser._barcode,
    (GS, ord("8")): Parser._extended,
    (ESC, ord("c")): lambda parser, buf, pos, _name: parser._fixed(buf, pos, "ESC c", 2),
    (DLE, 0x14): lambda parser, buf, pos, _name: parser._fixed(buf, pos, "DLE DC4", 3),
}
