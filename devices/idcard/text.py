"""Decoding the 256-byte text of every card the SAM reads into an ``Identity``.

The text is UCS-2 little endian, fixed fields padded with spaces (GA/T 490);
the card type flag at 248/2 selects the layout:

* space: 居民身份证 (GA/T 490 / DESIGN.md): name 0/30, sex 30/2, nation 32/4,
  birth 36/16, address 52/70, ID number 122/36, authority 158/30, valid from
  188/16, valid to 204/16 (a date or "长期"), reserved 220/36.
* 'J': 港澳台居民居住证 (GA/T 467 annex): the resident slots (nation blank), plus
  通行证号码 220/18 and 签发次数 238/4. ID numbers start 81/82/83.
* 'I': 外国人永久居留身份证, 2017 layout. Published by the issuing authority
  (数据项表 2017, reproduced by reader vendors): English name 0/120, sex 120/2,
  card number 122/30 (3 letters + 12 digits), nationality 152/6 (GB/T 2659
  alpha-3), Chinese name 158/30, valid from 188/16, valid to 204/16, birth
  220/16, card version 236/4, accepting authority code 240/8, flag 248/2,
  reserved 250/6.
* 'Y': 外国人永久居留身份证, 2023 layout ("五星卡"). The public rule
  (国家移民管理局《新版外国人永久居留身份证机读信息规则》) says the number is 18
  digits starting with 9 with the GB 11643 check character, and reader SDKs list
  its extra fields (nationality code, English name continued, link to the
  previous card's number); the rule's byte table itself was not available to us.
  ASSUMPTION, to verify with a real card: the card reuses the resident slots for
  the fields it shares (Chinese name 0/30, sex 30/2, birth 36/16, number 122/36,
  authority 158/30, validity 188/16 + 204/16) and puts its own fields in the slots
  that are free there: issue count 32/4 (the nation slot), English name 52/70
  (the address slot), English name continued 220/22, nationality 242/6 (GB/T 2659
  alpha-3) and the previous-card link 250/6 (2-digit city + sequence; kept in the
  layout, not in ``Identity``).

Rare characters: UCS-2 cannot express characters outside the BMP such as 𠮷
(U+20BB7). We decode as UTF-16 LE, which equals UCS-2 for every BMP character
and additionally reads a surrogate pair as the one character it stands for: a
writer that stored 𠮷 as a pair gets it back, and 䶮 (U+4DAE, BMP) is plain
UCS-2. An unpaired surrogate is corrupt data (ProtocolError).

Every failure here is a :class:`ProtocolError`: the SAM has already verified the
chip, so text that does not parse means corrupted bytes, never a citizen error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from devices.idcard.codes import NATIONS, SEXES
from devices.identity import CardType, Identity, id_check_char, is_valid_id_number
from kiosk.clock import CST, Clock
from kiosk.errors import ProtocolError

TEXT_LEN = 256
LONG_TERM = "长期"


@dataclass(frozen=True)
class Slot:
    offset: int
    length: int

    def take(self, text: bytes) -> str:
        return _ucs2(text[self.offset:self.offset + self.length])


RESIDENT = {
    "name": Slot(0, 30), "sex": Slot(30, 2), "nation": Slot(32, 4), "birth": Slot(36, 16),
    "address": Slot(52, 70), "id_number": Slot(122, 36), "authority": Slot(158, 30),
    "valid_from": Slot(188, 16), "valid_to": Slot(204, 16),
}
HMT_PERMIT = {**RESIDENT, "permit_number": Slot(220, 18), "issue_count": Slot(238, 4)}
FOREIGNER_2017 = {
    "english_name": Slot(0, 120), "sex": Slot(120, 2), "id_number": Slot(122, 30),
    "nationality": Slot(152, 6), "name": Slot(158, 30), "valid_from": Slot(188, 16),
    "valid_to": Slot(204, 16), "birth": Slot(220, 16), "version": Slot(236, 4),
    "authority": Slot(240, 8),
}
FOREIGNER_2023 = {  # see the ASSUMPTION in the module docstring
    "name": Slot(0, 30), "sex": Slot(30, 2), "issue_count": Slot(32, 4), "birth": Slot(36, 16),
    "english_name": Slot(52, 70), "id_number": Slot(122, 36), "authority": Slot(158, 30),
    "valid_from": Slot(188, 16), "valid_to": Slot(204, 16),
    "english_name_more": Slot(220, 22), "nationality": Slot(242, 6),
    "previous_card_link": Slot(250, 6),
}
TYPE_FLAG = Slot(248, 2)
LAYOUTS: dict[str, tuple[CardType, dict[str, Slot]]] = {
    " ": (CardType.RESIDENT, RESIDENT),
    "J": (CardType.HMT_PERMIT, HMT_PERMIT),
    "I": (CardType.FOREIGNER_2017, FOREIGNER_2017),
    "Y": (CardType.FOREIGNER_2023, FOREIGNER_2023),
}


def _ucs2(raw: bytes) -> str:
    try:
        text = raw.decode("utf-16-le")
    except UnicodeDecodeError as err:
        raise ProtocolError(f"text field is not UCS-2: {err.reason}") from None
    return text.strip(" \x00")


def card_type_of(text: bytes) -> CardType:
    if len(text) != TEXT_LEN:
        raise ProtocolError(f"card text of {len(text)} bytes, expected {TEXT_LEN}")
    flag = text[TYPE_FLAG.offset:TYPE_FLAG.offset + 2]
    # Resident cards carry a space; accept NUL padding too (the field is "reserved"
    # on cards issued before the flag was defined).
    key = " " if flag in (b" \x00", b"\x00\x00") else _ucs2(flag)
    if key not in LAYOUTS:
        raise ProtocolError(f"unknown card type flag {flag.hex()}")
    return LAYOUTS[key][0]


def decode_text(text: bytes, *, photo_wlt: bytes = b"",
                appended_addresses: tuple[str, ...] = ()) -> Identity:
    """Parse the card text. Raises only :class:`ProtocolError`."""
    card_type = card_type_of(text)
    layout = next(lay for ct, lay in LAYOUTS.values() if ct is card_type)
    f = {k: slot.take(text) for k, slot in layout.items()}
    sex = f["sex"]
    if sex not in SEXES:
        raise ProtocolError("sex code outside GB/T 2261.1")
    nation = f.get("nation", "")
    if card_type is CardType.RESIDENT and nation not in NATIONS:
        raise ProtocolError("nation code outside GB 3304")
    if card_type is CardType.HMT_PERMIT and nation:
        raise ProtocolError("a residence permit carries no nation code")
    id_number = f["id_number"]
    _check_number(card_type, id_number)
    valid_to, long_term = _valid_to(f["valid_to"])
    english = f.get("english_name", "")
    if f.get("english_name_more"):
        # A continued name filled its first slot, so a space at the slot's end is part
        # of the name (a word boundary), not padding: keep it when joining.
        head = layout["english_name"]
        first = text[head.offset:head.offset + head.length].decode("utf-16-le", "replace")
        english = (first.lstrip(" ").rstrip("\x00") + f["english_name_more"]).strip()
    name = f["name"] or english
    if not name:
        raise ProtocolError("card without a name")
    return Identity(
        card_type=card_type,
        name=name,
        id_number=id_number.upper(),
        sex=sex,
        birth=parse_date(f["birth"], "birth"),
        nation=nation,
        address=f.get("address", ""),
        authority=f.get("authority", ""),
        valid_from=parse_date(f["valid_from"], "valid from"),
        valid_to=valid_to,
        long_term=long_term,
        english_name=english,
        nationality=f.get("nationality", ""),
        permit_number=f.get("permit_number", ""),
        issue_count=f.get("issue_count", ""),
        photo_wlt=photo_wlt,
        appended_addresses=appended_addresses,
    )


def decode_address(record: bytes) -> str:
    """One 70-byte appended address record (30 03)."""
    return _ucs2(record)


def _check_number(card_type: CardType, number: str) -> None:
    if card_type is CardType.FOREIGNER_2017:
        # 3 letters (nationality) + 12 digits; no check character in this scheme.
        if not (len(number) == 15 and number[:3].isascii() and number[:3].isalpha()
                and number[3:].isascii() and number[3:].isdigit()):
            raise ProtocolError("2017 permanent residence number is not 3 letters + 12 digits")
        return
    # GB 11643 (region codes deliberately not checked: see devices.identity).
    if not is_valid_id_number(number):
        raise ProtocolError("ID number fails the GB 11643 check")
    if card_type is CardType.HMT_PERMIT and number[:2] not in ("81", "82", "83"):
        raise ProtocolError("residence permit number must start with 81, 82 or 83")
    if card_type is CardType.FOREIGNER_2023 and number[0] != "9":
        raise ProtocolError("2023 permanent residence number must start with 9")


def parse_date(value: str, what: str) -> date:
    """A card's YYYYMMDD date; ``what`` names it in the ProtocolError."""
    if len(value) != 8 or not value.isascii() or not value.isdigit():
        raise ProtocolError(f"{what} date is not YYYYMMDD")
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise ProtocolError(f"{what} date does not exist") from None


def _valid_to(value: str) -> tuple[date | None, bool]:
    if value == LONG_TERM:
        return None, True
    return parse_date(value, "valid to"), False


def today(clock: Clock) -> date:
    """The date in China (validity dates on cards are Beijing dates)."""
    return clock.now().astimezone(CST).date()


def is_expired(identity: Identity, clock: Clock) -> bool:
    return identity.expired(today(clock))


# --------------------------------------------------------------------------- encoding

def encode_text(card_type: CardType, fields: dict[str, str]) -> bytes:
    """Build card text from field values (the simulator's cards and tests).

    Values longer than their slot raise ``ValueError``: a card cannot hold them.
    """
    layout = next(lay for ct, lay in LAYOUTS.values() if ct is card_type)
    out = bytearray(" ".encode("utf-16-le") * (TEXT_LEN // 2))
    for key, value in fields.items():
        slot = layout[key]
        raw = value.encode("utf-16-le")
        if len(raw) > slot.length:
            raise ValueError(f"{key} does not fit in {slot.length} bytes")
        out[slot.offset:slot.offset + len(raw)] = raw
    flag = next(k for k, (ct, _) in LAYOUTS.items() if ct is card_type)
    out[TYPE_FLAG.offset:TYPE_FLAG.offset + 2] = flag.encode("utf-16-le")
    return bytes(out)


def make_id_number(first17: str) -> str:
    """Complete 17 digits with the GB 11643 check character (test and simulator data)."""
    return first17 + id_check_char(first17)
