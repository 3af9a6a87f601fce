"""Codes out of a scanner's byte stream: terminators, AIM identifiers, limits.

A scanner in serial mode sends each decoded code followed by a terminator (CR by
factory default on most models; CRLF, LF or TAB by configuration). Many can be set
to prefix the AIM symbology identifier (ISO/IEC 15424: ``]`` + code letter +
modifier digit, e.g. ``]Q1`` QR Code, ``]C0`` Code 128, ``]d2`` Data Matrix), which
tells a QR code from a barcode that happens to hold the same digits.

What goes wrong on real lines, and what this does about it:

* **Partial codes.** A code whose terminator never comes (cable pulled, scanner
  reset) is dropped after ``idle_s`` of silence and counted, never joined to the
  next code.
* **Garbage.** NUL bytes and line noise between codes are skipped; a code with
  control characters inside, or bytes that are not UTF-8 (nor GB 18030, which
  Chinese-configured scanners send), is rejected as ``garbled``.
* **Floods.** A code longer than ``max_len`` (a QR code holds at most 2,953 bytes)
  is discarded up to the next terminator.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

#: ISO/IEC 15424 code characters we name; others are reported by their letter.
AIM_SYMBOLOGIES = {"Q": "qr", "C": "code128", "E": "ean", "d": "datamatrix", "A": "code39",
                   "I": "itf", "L": "pdf417", "z": "aztec", "e": "gs1-databar", "X": "other"}
MAX_CODE_LEN = 4096


class Terminator(enum.Enum):
    CR = b"\r"
    LF = b"\n"
    CRLF = b"\r\n"
    TAB = b"\t"


@dataclass(frozen=True)
class Code:
    text: str
    symbology: str = ""     # "" when the scanner sends no AIM identifier

    def __repr__(self) -> str:  # codes can carry personal tokens: never log them whole
        return f"Code(symbology={self.symbology!r}, length={len(self.text)})"


class Reject(enum.Enum):
    PARTIAL = "partial"     # no terminator before the line went quiet
    GARBLED = "garbled"     # not text, or control characters inside
    TOO_LONG = "too_long"


@dataclass
class CodeFramer:
    """Feed bytes as they arrive; get complete codes and rejects back."""

    terminator: Terminator = Terminator.CR
    aim_prefix: bool = False
    max_len: int = MAX_CODE_LEN
    idle_s: float = 0.3
    _buf: bytearray = field(default_factory=bytearray, repr=False)
    _overflow: bool = field(default=False, repr=False)
    _last_byte_at: float | None = field(default=None, repr=False)

    def feed(self, data: bytes, now: float) -> list[Code | Reject]:
        out: list[Code | Reject] = []
        if self._buf and self._last_byte_at is not None \
                and now - self._last_byte_at > self.idle_s:
            out.append(Reject.PARTIAL)
            self._buf.clear()
        if data:
            self._last_byte_at = now
        term = self.terminator.value
        for byte in data:
            self._buf.append(byte)
            if self._buf.endswith(term):
                body = bytes(self._buf[:-len(term)])
                self._buf.clear()
                if self._overflow:
                    self._overflow = False
                    out.append(Reject.TOO_LONG)
                    continue
                item = self._decode(body)
                if item is not None:
                    out.append(item)
            elif len(self._buf) > self.max_len + len(term):
                self._overflow = True
                del self._buf[:-len(term)]  # keep only what could start a terminator
        return out

    def tick(self, now: float) -> list[Code | Reject]:
        """Call when no bytes came: reports a partial code once the line is idle."""
        return self.feed(b"", now)

    def _decode(self, body: bytes) -> Code | Reject | None:
        body = body.strip(b"\x00\r\n")  # CR before LF in CRLF-terminated LF mode, NUL noise
        if not body:
            return None
        for encoding in ("utf-8", "gb18030"):
            try:
                text = body.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            return Reject.GARBLED
        if any(ord(c) < 0x20 and c not in "\x1d\x1e\x04" for c in text) or "\x7f" in text:
            # GS/RS/EOT are legitimate inside GS1 and ISO 15434 payloads; others are noise
            return Reject.GARBLED
        symbology = ""
        if self.aim_prefix and len(text) >= 3 and text[0] == "]":
            symbology = AIM_SYMBOLOGIES.get(text[1], text[1])
            text = text[3:]
            if not text:
                return None
        return Code(text, symbology)
