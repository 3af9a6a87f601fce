"""APDUs of the social security card (社会保障卡) basics, as typed data.

Sources and assumptions (the MOHRSS 《社会保障(个人)卡规范》 itself is not public
in full; the commands below are those that reader vendors' field code sends to
real cards):

* The social security application is the DF named ``sx1.sh.社会保障`` (ASCII
  ``sx1.sh.`` followed by 社会保障 in GBK): ``00 A4 04 00 0F 7378312E73682E
  C9E7BBE1B1A3D5CF``.
* EF05 holds card data; record 07 is the card number (9 characters), read by
  short file identifier: ``00 B2 07 2C`` (P2 = SFI 5 << 3 | 4, ISO 7816-4).
* EF06 (selected ``00 A4 02 00 02 EF06``) holds the holder: record 08 社会保障号码
  (18 characters, the citizen ID number), 09 name (30 bytes, GBK/GB 18030, padded),
  0A sex (1 ASCII digit, GB/T 2261.1), 0B nation (1 byte BCD, GB 3304), 0C birth
  place (3 bytes BCD region code), 0D birth date (4 bytes BCD YYYYMMDD). Records
  come back as ``tag (= record number) | length | value``. Field code reads them
  with ``P2 = 00`` after selecting EF06; we do the same.
* ``FF CA 00 00 00`` (PC/SC part 3 GET DATA) asks the *reader* for the card UID.

Every read is sent with ``Le = 00``; a T=0 card answers ``6C xx`` with the exact
length and we send it again (ISO 7816-3/-4), and ``61 xx`` (more data) is
followed by GET RESPONSE until the data is complete: :func:`exchange`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from devices.identity import CardType, Identity
from devices.sscard.errors import NotSocialSecurityCard, SsCardReadFailed
from kiosk.errors import KioskError, ProtocolError

SSSE_AID = b"sx1.sh." + "社会保障".encode("gbk")
EF05 = b"\xef\x05"
EF06 = b"\xef\x06"
MAX_CHAIN = 16   # rounds of 61xx/6Cxx before we call the card broken


@dataclass(frozen=True)
class Apdu:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None   # None: no Le byte; 0 means "up to 256"

    def encode(self) -> bytes:
        out = bytes([self.cla, self.ins, self.p1, self.p2])
        if self.data:
            out += bytes([len(self.data)]) + self.data
        if self.le is not None:
            out += bytes([self.le & 0xFF])
        return out

    def with_le(self, le: int) -> Apdu:
        return replace(self, le=le)


@dataclass(frozen=True)
class RApdu:
    data: bytes
    sw1: int
    sw2: int

    @property
    def sw(self) -> int:
        return self.sw1 << 8 | self.sw2

    @classmethod
    def parse(cls, raw: bytes) -> RApdu:
        if len(raw) < 2:
            raise ProtocolError(f"response APDU of {len(raw)} bytes")
        return cls(bytes(raw[:-2]), raw[-2], raw[-1])

    def encode(self) -> bytes:
        return self.data + bytes([self.sw1, self.sw2])


def select_by_name(aid: bytes) -> Apdu:
    return Apdu(0x00, 0xA4, 0x04, 0x00, aid)


def select_ef(fid: bytes) -> Apdu:
    return Apdu(0x00, 0xA4, 0x02, 0x00, fid)


def read_record(record: int, p2: int = 0x00) -> Apdu:
    return Apdu(0x00, 0xB2, record, p2, le=0)


def get_response(n: int) -> Apdu:
    return Apdu(0x00, 0xC0, 0x00, 0x00, le=n)


GET_UID = Apdu(0xFF, 0xCA, 0x00, 0x00, le=0)


def check(response: RApdu, what: str) -> RApdu:
    """Return a 9000 response; raise the typed error of any other status word."""
    sw = response.sw
    if sw == 0x9000:
        return response
    detail = f"{what}: SW {sw:04X}"
    error: KioskError
    if sw in (0x6A82, 0x6A86) and "select" in what:
        error = NotSocialSecurityCard(detail)
    elif response.sw1 in (0x67, 0x6D, 0x6E):   # wrong length, INS or CLA not supported
        error = ProtocolError(detail)
    else:                                      # 6A83 no record, 6982 security, 6983 blocked...
        error = SsCardReadFailed(detail)
    raise error


def exchange(transmit: Callable[[bytes], RApdu], apdu: Apdu) -> RApdu:
    """Send ``apdu``, following 6Cxx (resend with Le) and 61xx (GET RESPONSE) chains."""
    response = transmit(apdu.encode())
    data = b""
    for _ in range(MAX_CHAIN):
        if response.sw1 == 0x6C:
            apdu = apdu.with_le(response.sw2)
            response = transmit(apdu.encode())
        elif response.sw1 == 0x61:
            data += response.data
            response = transmit(get_response(response.sw2).encode())
        else:
            return RApdu(data + response.data, response.sw1, response.sw2)
    raise ProtocolError(f"response chaining did not end after {MAX_CHAIN} rounds")


# --------------------------------------------------------------------------- records

@dataclass(frozen=True)
class Record:
    ef: bytes
    number: int
    length: int
    kind: str   # "an" ASCII, "gb" GB 18030 text, "cn" BCD digits


CARD_NUMBER = Record(EF05, 0x07, 9, "an")
BASICS: dict[str, Record] = {
    "id_number": Record(EF06, 0x08, 18, "an"),
    "name": Record(EF06, 0x09, 30, "gb"),
    "sex": Record(EF06, 0x0A, 1, "an"),
    "nation": Record(EF06, 0x0B, 1, "cn"),
    "birth_place": Record(EF06, 0x0C, 3, "cn"),
    "birth": Record(EF06, 0x0D, 4, "cn"),
}


def unwrap_record(record: Record, data: bytes) -> bytes:
    """The value of ``tag | length | value``; ProtocolError if it does not fit."""
    if len(data) < 2 or data[0] != record.number or data[1] != len(data) - 2:
        raise ProtocolError(f"record {record.number:02X} is not tag|length|value")
    if data[1] > record.length:
        raise ProtocolError(f"record {record.number:02X} longer than {record.length}")
    return data[2:]


def decode_value(record: Record, value: bytes) -> str:
    if record.kind == "cn":
        digits = value.hex().upper()
        if not digits.isdigit():
            raise ProtocolError(f"record {record.number:02X} is not BCD")
        return digits
    try:
        text = value.decode("gb18030" if record.kind == "gb" else "ascii")
    except UnicodeDecodeError:
        raise ProtocolError(f"record {record.number:02X} is not {record.kind} text") from None
    return text.strip(" \x00\xff")


def encode_value(record: Record, text: str) -> bytes:
    """Inverse of :func:`decode_value` (the virtual card's side)."""
    if record.kind == "cn":
        return bytes.fromhex(text)
    raw = text.encode("gb18030" if record.kind == "gb" else "ascii")
    if len(raw) > record.length:
        raise ValueError(f"{text!r} does not fit record {record.number:02X}")
    return raw if record.kind == "an" else raw.ljust(record.length, b" ")


def decode_basics(values: dict[str, str]) -> Identity:
    """The holder's basics as an Identity (no card photo, validity or address on 社保卡 EF06).

    The 社会保障号码 is taken as stored, without the GB 11643 check: for citizens it
    is the ID number, but cards issued to foreigners carry other number schemes.
    """
    birth = values["birth"]
    try:
        born = date(int(birth[:4]), int(birth[4:6]), int(birth[6:8]))
    except ValueError:
        raise ProtocolError("birth date record is not a date") from None
    if values["sex"] not in ("0", "1", "2", "9"):
        raise ProtocolError("sex record outside GB/T 2261.1")
    if not values["name"]:
        raise ProtocolError("empty name record")
    return Identity(card_type=CardType.SOCIAL_SECURITY, name=values["name"],
                    id_number=values["id_number"].upper(), sex=values["sex"], birth=born,
                    nation=values["nation"])
