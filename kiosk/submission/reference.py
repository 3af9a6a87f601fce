"""Kiosk references: ``XD-261122-0042-F``.

A reference is given to a case when the kiosk accepts it. It is printed on the
receipt, typed or scanned back by citizens for queries, and sent as the
``Idempotency-Key`` of ``POST /cases`` (backoffice/API.md), so it must be unique
per terminal forever and survive a crash: the daily sequence is allocated by the
outbox inside the same SQLite transaction that stores the case.

Layout: ``{prefix}-{YYMMDD}-{seq:04d}-{check}``; the date is the China-time day
of acceptance, ``check`` is the ISO/IEC 7064 MOD 37,36 check character computed
over the alphanumerics (``XD2611220042``). MOD 37,36 is the hybrid system for
alphanumeric strings: it catches every single substitution and every adjacent
transposition, the two mistakes people make when copying a code from paper.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from kiosk.clock import CST
from kiosk.errors import ConfigError, ValidationError

#: ISO/IEC 7064 alphabet for MOD 37,36: digits then upper-case letters (values 0..35).
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_M = 36
MAX_SEQ = 9999
#: The prefix in config/kiosk.yaml: an example, refused outside the simulated environment.
EXAMPLE_PREFIX = "XD"

_REF_RE = re.compile(r"^([A-Z0-9]{2,4})-(\d{6})-(\d{4})-([0-9A-Z])$")
_PREFIX_RE = re.compile(r"^[A-Z0-9]{2,4}$")


def _values(text: str) -> list[int]:
    try:
        return [ALPHABET.index(c) for c in text]
    except ValueError:
        raise ValueError(f"not in the ISO 7064 alphanumeric alphabet: {text!r}") from None


def _run(values: list[int]) -> int:
    """The hybrid-system recurrence of ISO/IEC 7064 section 5 for M = 36."""
    p = _M
    for v in values:
        s = (p + v) % _M or _M
        p = (s * 2) % (_M + 1)
    return p


def check_char(text: str) -> str:
    """ISO/IEC 7064 MOD 37,36 check character for ``text`` (0-9, A-Z)."""
    p = _run(_values(text))
    return ALPHABET[(_M + 1 - p) % _M]


def check_ok(text_with_check: str) -> bool:
    """True when the last character is the MOD 37,36 check character of the rest."""
    if len(text_with_check) < 2:
        return False
    try:
        values = _values(text_with_check)
    except ValueError:
        return False
    # Including the check character, the recurrence must end in the state s == 1.
    p = _run(values[:-1])
    return (p + values[-1]) % _M == 1


@dataclass(frozen=True)
class Reference:
    prefix: str
    day: date
    seq: int

    def __post_init__(self) -> None:
        if not _PREFIX_RE.match(self.prefix):
            raise ValueError("prefix must be 2-4 upper-case letters or digits")
        if not 1 <= self.seq <= MAX_SEQ:
            raise ValueError(f"daily sequence out of range 1..{MAX_SEQ}")

    @property
    def body(self) -> str:
        return f"{self.prefix}{self.day:%y%m%d}{self.seq:04d}"

    def __str__(self) -> str:
        return f"{self.prefix}-{self.day:%y%m%d}-{self.seq:04d}-{check_char(self.body)}"


def require_own_prefix(prefix: str, *, simulated: bool) -> None:
    """Refuse the example prefix of config/kiosk.yaml on a real terminal.

    Every terminal left at the example would mint the same references, and the
    back office would refuse one terminal's cases as the other's, after the
    receipt was printed. Each terminal is registered with its own prefix.
    """
    if prefix == EXAMPLE_PREFIX and not simulated:
        raise ConfigError("kiosk.yaml", "terminal.ref_prefix",
                          f"{EXAMPLE_PREFIX} is the example prefix; give this terminal its own "
                          "(2-4 of A-Z 0-9) and register it with the back office: "
                          "scripts/backoffice terminal add ID --secret-file FILE --prefix P")


def simulated_prefix(terminal_id: str) -> str:
    """The prefix the simulated environment registers for ``terminal_id``: "S" and
    three base-36 characters of its hash (never the example, distinct per terminal id)."""
    n = int.from_bytes(hashlib.sha256(terminal_id.encode()).digest()[:8], "big")
    chars = []
    for _ in range(3):
        n, r = divmod(n, _M)
        chars.append(ALPHABET[r])
    return "S" + "".join(chars)


def day_of(moment: datetime) -> date:
    """The China-time day a moment falls on (references are dated in CST)."""
    if moment.tzinfo is None:
        raise ValueError("need an aware datetime")
    return moment.astimezone(CST).date()


def format_reference(prefix: str, day: date, seq: int) -> str:
    return str(Reference(prefix, day, seq))


def parse_reference(text: str) -> Reference:
    """Validate a reference a citizen typed or a scanner read.

    Tolerates surrounding blanks, lower case and full-width characters (common
    with Chinese input methods); raises ``ValidationError`` otherwise.
    """
    norm = unicodedata.normalize("NFKC", text).strip().upper()
    m = _REF_RE.match(norm)
    if not m:
        raise ValidationError("not a kiosk reference", field="kiosk_ref",
                              i18n_key="form.error.reference")
    prefix, yymmdd, seq, check = m.groups()
    if not check_ok(prefix + yymmdd + seq + check):
        raise ValidationError("check character mismatch", field="kiosk_ref",
                              i18n_key="form.error.reference")
    try:
        day = date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
    except ValueError:
        raise ValidationError("impossible date", field="kiosk_ref",
                              i18n_key="form.error.reference") from None
    if int(seq) == 0:
        raise ValidationError("sequence 0000", field="kiosk_ref",
                              i18n_key="form.error.reference")
    return Reference(prefix, day, int(seq))
