"""The 二代证 SAM serial protocol as typed data (public facts of GA/T 467).

A frame on the wire::

    AA AA AA 96 69 | LEN (2, big-endian) | body | CHK

``LEN`` counts everything after itself including ``CHK``; ``CHK`` is the XOR of
every byte from the first ``LEN`` byte up to the last body byte. A request body
is ``CMD PARA data``, a response body ``SW1 SW2 SW3 data``. Example, find card:
``AA AA AA 96 69 00 03 20 01 22`` (00^03^20^01 = 22).

Framing is pluggable (:class:`Framing`): other reader families wrap the same
commands differently, so :class:`FrameDecoder` only asks a framing where a frame
starts, how long it is and whether it checks out. Everything here is pure: no
I/O, no clock. Parsers of outside bytes raise :class:`kiosk.errors.ProtocolError`
and nothing else; the decoder never raises at all (it reports bad frames as
values and resynchronises).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import reduce
from typing import Protocol

from devices.idcard import errors as e
from kiosk.errors import KioskError, ProtocolError

PREAMBLE = bytes.fromhex("AAAAAA9669")
#: Largest frame we accept (read with fingerprint is 2321 B); anything longer is noise.
MAX_FRAME_LEN = 4096
TEXT_LEN = 256
PHOTO_LEN = 1024
ADDRESS_LEN = 70  # one appended address record (GA/T 490 追加住址, 70 B UCS-2)


class Timing(enum.Enum):
    """Which configured timeout applies: find/select/status answer in ~100 ms, reads in ~2 s."""

    SHORT = "short"
    LONG = "long"


class Command(enum.Enum):
    """CMD PARA pairs of GA/T 467 and the timeout class of each."""

    RESET_SAM = (0x10, 0xFF, Timing.LONG)
    SAM_STATUS = (0x11, 0xFF, Timing.SHORT)
    SAM_ID = (0x12, 0xFF, Timing.SHORT)
    FIND_CARD = (0x20, 0x01, Timing.SHORT)
    SELECT_CARD = (0x20, 0x02, Timing.SHORT)
    READ_TEXT_PHOTO = (0x30, 0x01, Timing.LONG)
    READ_APPENDED_ADDRESS = (0x30, 0x03, Timing.LONG)
    READ_TEXT_PHOTO_FP = (0x30, 0x10, Timing.LONG)

    @property
    def cmd(self) -> int:
        return self.value[0]

    @property
    def para(self) -> int:
        return self.value[1]

    @property
    def timing(self) -> Timing:
        return self.value[2]

    @classmethod
    def lookup(cls, cmd: int, para: int) -> Command | None:
        for c in cls:
            if c.cmd == cmd and c.para == para:
                return c
        return None


class Sw3(enum.IntEnum):
    """Response status byte SW3 (SW1 SW2 are 00 00 in every answer we know)."""

    OK = 0x90
    FIND_OK = 0x9F
    NO_CONTENT = 0x91
    CHECKSUM_ERROR = 0x10
    LENGTH_ERROR = 0x11
    COMMAND_ERROR = 0x21
    NOT_PERMITTED = 0x23
    UNKNOWN_ERROR = 0x24
    CARD_AUTH_SAM_FAILED = 0x31   # 卡认证机具失败
    SAM_AUTH_CARD_FAILED = 0x32   # 机具认证卡失败
    INFO_VERIFY_FAILED = 0x33     # 信息验证失败
    UNKNOWN_CARD_TYPE = 0x40
    READ_FAILED = 0x41
    RANDOM_FAILED = 0x47          # 取随机数失败
    SAM_SELF_TEST_FAILED = 0x60
    SAM_NOT_AUTHORISED = 0x66
    FIND_FAILED = 0x80
    SELECT_FAILED = 0x81


#: Every failure status and the typed error it becomes.
STATUS_ERRORS: dict[Sw3, type[KioskError]] = {
    Sw3.NO_CONTENT: e.NoContent,
    Sw3.CHECKSUM_ERROR: e.SamRejectedFrame,
    Sw3.LENGTH_ERROR: e.SamRejectedFrame,
    Sw3.COMMAND_ERROR: e.SamRejectedFrame,
    Sw3.NOT_PERMITTED: e.CardNotPermitted,
    Sw3.UNKNOWN_ERROR: e.SamUnknownError,
    Sw3.CARD_AUTH_SAM_FAILED: e.CardAuthFailed,
    Sw3.SAM_AUTH_CARD_FAILED: e.CardAuthFailed,
    Sw3.INFO_VERIFY_FAILED: e.CardAuthFailed,
    Sw3.UNKNOWN_CARD_TYPE: e.UnknownCardType,
    Sw3.READ_FAILED: e.CardReadFailed,
    Sw3.RANDOM_FAILED: e.CardReadFailed,
    Sw3.SAM_SELF_TEST_FAILED: e.SamFault,
    Sw3.SAM_NOT_AUTHORISED: e.SamNotAuthorised,
    Sw3.FIND_FAILED: e.CardNotFound,
    Sw3.SELECT_FAILED: e.CardSelectFailed,
}
SUCCESS = frozenset({Sw3.OK, Sw3.FIND_OK})


def xor(data: bytes | bytearray) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


# --------------------------------------------------------------------------- framing

class Framing(Protocol):
    """How one reader family wraps a body into a frame on the wire."""

    name: str
    preamble: bytes
    header_len: int       # bytes needed to know the whole frame's length
    max_frame_len: int

    def wrap(self, body: bytes) -> bytes:
        """The whole frame around ``body``."""
        ...

    def frame_length(self, header: bytes) -> int:
        """Total frame length from its first ``header_len`` bytes; ProtocolError if absurd."""
        ...

    def unwrap(self, frame: bytes) -> bytes:
        """The body of a complete frame; ProtocolError on a bad check."""
        ...


class SamFraming:
    """GA/T 467: preamble, 2-byte big-endian LEN, body, XOR checksum."""

    name = "sam"
    preamble = PREAMBLE
    header_len = len(PREAMBLE) + 2
    #: The shortest body is CMD PARA (request) and the checksum follows it.
    min_len_field = 3

    def __init__(self, max_frame_len: int = MAX_FRAME_LEN) -> None:
        self.max_frame_len = max_frame_len

    def wrap(self, body: bytes) -> bytes:
        n = len(body) + 1
        if self.header_len + n > self.max_frame_len:
            raise ValueError(f"body of {len(body)} B exceeds the frame limit")
        head = n.to_bytes(2, "big") + body
        return self.preamble + head + bytes([xor(head)])

    def frame_length(self, header: bytes) -> int:
        n = int.from_bytes(header[len(self.preamble):self.header_len], "big")
        if n < self.min_len_field or self.header_len + n > self.max_frame_len:
            raise ProtocolError(f"frame length field {n} out of range")
        return self.header_len + n

    def unwrap(self, frame: bytes) -> bytes:
        if not frame.startswith(self.preamble) or len(frame) < self.header_len + 1:
            raise ProtocolError("not a SAM frame")
        if self.frame_length(frame[:self.header_len]) != len(frame):
            raise ProtocolError("frame length does not match its length field")
        covered = frame[len(self.preamble):-1]
        if xor(covered) != frame[-1]:
            raise ProtocolError(f"checksum {frame[-1]:02X} != {xor(covered):02X}")
        return frame[self.header_len:-1]


@dataclass(frozen=True)
class Frame:
    body: bytes
    raw: bytes


class FrameDecoder:
    """Streaming decoder: feed it bytes as they arrive, get whole frames out.

    Bytes before a preamble are dropped (counted in ``discarded``). A frame whose
    length field is absurd or whose check fails is reported as a ``ProtocolError``
    *value* and decoding restarts one byte after its preamble, so a truncated
    frame followed by a good one loses only the truncated one. The buffer never
    holds more than one frame's worth (``framing.max_frame_len``) of waiting bytes.
    """

    def __init__(self, framing: Framing | None = None) -> None:
        self.framing: Framing = framing or SamFraming()
        self._buf = bytearray()
        self.discarded = 0

    def reset(self) -> None:
        self.discarded += len(self._buf)
        self._buf.clear()

    @property
    def pending(self) -> int:
        return len(self._buf)

    @property
    def wanted(self) -> int:
        """How many more bytes would complete the frame being received (at least 1).

        Lets a reader block for exactly the rest of a frame instead of polling.
        """
        f = self.framing
        buf = self._buf
        if len(buf) < f.header_len or not buf.startswith(f.preamble):
            return max(1, f.header_len - len(buf))
        try:
            total = f.frame_length(bytes(buf[:f.header_len]))
        except ProtocolError:
            return 1
        return max(1, total - len(buf))

    def feed(self, data: bytes) -> list[Frame | ProtocolError]:
        f = self.framing
        buf = self._buf
        buf += data
        out: list[Frame | ProtocolError] = []
        while buf:
            start = buf.find(f.preamble)
            if start < 0:
                self._drop(len(buf) - _partial_suffix(buf, f.preamble))
                break
            self._drop(start)
            if len(buf) < f.header_len:
                break
            try:
                total = f.frame_length(bytes(buf[:f.header_len]))
            except ProtocolError as err:
                out.append(err)
                self._drop(1)
                continue
            if len(buf) < total:
                break
            raw = bytes(buf[:total])
            try:
                body = f.unwrap(raw)
            except ProtocolError as err:
                out.append(err)
                self._drop(1)
                continue
            out.append(Frame(body, raw))
            del buf[:total]
        return out

    def _drop(self, n: int) -> None:
        if n > 0:
            self.discarded += n
            del self._buf[:n]


def _partial_suffix(buf: bytearray, preamble: bytes) -> int:
    """Length of the longest tail of ``buf`` that could be the start of a preamble."""
    for k in range(min(len(preamble) - 1, len(buf)), 0, -1):
        if buf.endswith(preamble[:k]):
            return k
    return 0


# --------------------------------------------------------------------------- messages

@dataclass(frozen=True)
class Request:
    command: Command
    data: bytes = b""

    def body(self) -> bytes:
        return bytes([self.command.cmd, self.command.para]) + self.data

    @classmethod
    def parse(cls, body: bytes) -> Request:
        if len(body) < 2:
            raise ProtocolError("request body shorter than CMD PARA")
        command = Command.lookup(body[0], body[1])
        if command is None:
            raise ProtocolError(f"unknown command {body[0]:02X} {body[1]:02X}")
        return cls(command, bytes(body[2:]))


@dataclass(frozen=True)
class Response:
    sw1: int
    sw2: int
    sw3: int
    data: bytes = b""

    def body(self) -> bytes:
        return bytes([self.sw1, self.sw2, self.sw3]) + self.data

    @classmethod
    def parse(cls, body: bytes) -> Response:
        if len(body) < 3:
            raise ProtocolError("response body shorter than SW1 SW2 SW3")
        return cls(body[0], body[1], body[2], bytes(body[3:]))

    @property
    def ok(self) -> bool:
        return self.sw3 in SUCCESS

    def check(self, command: Command) -> Response:
        """Return self on success; otherwise raise the typed error of its SW3."""
        if self.ok:
            return self
        try:
            status = Sw3(self.sw3)
        except ValueError:
            unknown = e.UnknownStatus(f"{command.name}: unknown status SW3={self.sw3:02X}")
            unknown.sw3 = self.sw3
            raise unknown from None
        err = STATUS_ERRORS[status](f"{command.name}: SAM status {status.name} ({self.sw3:02X})")
        err.sw3 = self.sw3  # type: ignore[attr-defined]
        raise err


def response_for(sw3: int, data: bytes = b"") -> Response:
    return Response(0x00, 0x00, sw3, data)


# --------------------------------------------------------------------------- payloads

@dataclass(frozen=True)
class CardData:
    """Data of a read (30 01 / 30 10): text 256 B, photo 1024 B, fingerprints if asked."""

    text: bytes
    photo: bytes
    fingerprint: bytes = b""

    def encode(self, with_fingerprint: bool) -> bytes:
        head = len(self.text).to_bytes(2, "big") + len(self.photo).to_bytes(2, "big")
        if with_fingerprint:
            head += len(self.fingerprint).to_bytes(2, "big")
            return head + self.text + self.photo + self.fingerprint
        return head + self.text + self.photo

    @classmethod
    def parse(cls, data: bytes, with_fingerprint: bool) -> CardData:
        n_len = 6 if with_fingerprint else 4
        if len(data) < n_len:
            raise ProtocolError("read data shorter than its length fields")
        text_len = int.from_bytes(data[0:2], "big")
        photo_len = int.from_bytes(data[2:4], "big")
        fp_len = int.from_bytes(data[4:6], "big") if with_fingerprint else 0
        if text_len != TEXT_LEN:
            raise ProtocolError(f"text length {text_len}, expected {TEXT_LEN}")
        if photo_len not in (0, PHOTO_LEN):
            raise ProtocolError(f"photo length {photo_len}, expected {PHOTO_LEN}")
        if n_len + text_len + photo_len + fp_len != len(data):
            raise ProtocolError("read data length does not match its length fields")
        t0 = n_len
        p0 = t0 + text_len
        f0 = p0 + photo_len
        return cls(bytes(data[t0:p0]), bytes(data[p0:f0]), bytes(data[f0:f0 + fp_len]))


def parse_sam_id(data: bytes) -> str:
    """SAM ID (12 FF): 16 bytes shown by vendor tools as ``05.01-20101010-0012345678-...``.

    Layout assumed from vendor tool output (GA/T 467 text not public): two 16-bit and
    three 32-bit little-endian words. The value identifies the module, not a person.
    """
    if len(data) != 16:
        raise ProtocolError(f"SAM ID of {len(data)} bytes, expected 16")
    a = int.from_bytes(data[0:2], "little")
    b = int.from_bytes(data[2:4], "little")
    c, d, f = (int.from_bytes(data[i:i + 4], "little") for i in (4, 8, 12))
    return f"{a:02d}.{b:02d}-{c:08d}-{d:010d}-{f:010d}"


def encode_sam_id(text: str) -> bytes:
    """Inverse of :func:`parse_sam_id` (used by the simulator)."""
    a, rest = text.split(".", 1)
    b, c, d, f = rest.split("-")
    return (int(a).to_bytes(2, "little") + int(b).to_bytes(2, "little")
            + b"".join(int(x).to_bytes(4, "little") for x in (c, d, f)))


def split_addresses(data: bytes) -> tuple[bytes, ...]:
    """Appended-address data (30 03) as 70-byte records."""
    if len(data) % ADDRESS_LEN:
        raise ProtocolError(f"appended address data of {len(data)} B is not 70-byte records")
    return tuple(data[i:i + ADDRESS_LEN] for i in range(0, len(data), ADDRESS_LEN))
