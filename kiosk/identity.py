"""Who the applicant is, as read from an identity document.

Filled by the ID card driver (二代证, permits, foreigner cards) or the social
security card; held only in memory inside the session and wiped with it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from kiosk.privacy import mask_id, mask_name

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    """GB 11643-1999 check character (ISO 7064 MOD 11-2) for the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def is_valid_id_number(value: str) -> bool:
    """True for an 18-character citizen ID number with a correct check character.

    Region codes are not checked on purpose: new codes appear and permits use
    81/82/83 (HK/Macau/Taiwan), which must not be rejected.
    """
    if len(value) != 18 or not value[:17].isascii() or not value[:17].isdigit():
        return False
    if value[17] not in "0123456789Xx":
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return id_check_char(value[:17]) == value[17].upper()


def id_birth_date(value: str) -> date | None:
    """The birth date encoded in an 18-character ID number (characters 7-14), if any."""
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


class CardType(enum.Enum):
    RESIDENT = "resident"            # 居民身份证
    HMT_PERMIT = "hmt_permit"        # 港澳台居民居住证 ('J')
    FOREIGNER_2017 = "foreigner_2017"  # 外国人永久居留身份证, 2017 layout ('I')
    FOREIGNER_2023 = "foreigner_2023"  # 外国人永久居留身份证, 2023 layout ('Y')
    SOCIAL_SECURITY = "social_security"  # 社会保障卡


@dataclass(frozen=True)
class Identity:
    card_type: CardType
    name: str
    id_number: str
    sex: str                 # GB/T 2261.1 code: "1" male, "2" female, "0" unknown, "9" unspecified
    birth: date | None
    nation: str = ""         # GB 3304 code ("01".."56", "97", "98"); empty when not on the card
    address: str = ""
    authority: str = ""
    valid_from: date | None = None
    valid_to: date | None = None  # None with long_term=True means 长期
    long_term: bool = False
    english_name: str = ""   # foreigner cards
    nationality: str = ""    # foreigner cards: ISO 3166-1 alpha-3
    permit_number: str = ""  # HK/Macau/Taiwan permits: 通行证号码
    issue_count: str = ""
    photo_wlt: bytes = b""   # the card's encrypted photo; decodable only by a vendor library
    photo_bmp: bytes = b""   # decoded photo when a decoder is configured
    #: 追加住址 (30 03): addresses written after issue, oldest first; the last is current.
    appended_addresses: tuple[str, ...] = ()

    def __repr__(self) -> str:
        # Identities end up in tracebacks and debug logs: never print the person.
        return (f"Identity({self.card_type.value}, id={mask_id(self.id_number)}, "
                f"name={mask_name(self.name)})")

    def expired(self, today: date) -> bool:
        return (not self.long_term) and self.valid_to is not None and self.valid_to < today
