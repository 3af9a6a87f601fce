"""Masking of personal data for logs, receipts and technician screens.

Rule (README.md, "Privacy"): logs and receipts never carry a full ID number or a
full name. IDs keep the first 6 and last 4 characters (330181********1234).
"""

from __future__ import annotations

import logging
import re

#: ID-like digit runs: 18-character citizen IDs (GB 11643, also the 2023 foreigner
#: permanent residence ID that starts with 9), 15-digit first-generation IDs and
#: anything longer (bank cards). Letters before the run do not protect it
#: ("id330109..."); other digits do, since then the run itself is longer.
#: Case numbers (XS + 14 digits) and kiosk references stay readable.
_ID_RUN = r"(?<!\d)(?:\d{17,}[Xx]|\d{15,})(?!\d)"
#: The 2004/2017 foreigner permanent residence number: ISO 3166 alpha-3 country
#: code and 12 digits (USA330188051231).
_FOREIGN_PR = r"[A-Za-z]{3}\d{12}(?!\d)"
#: Mainland mobiles (1, then 3-9, 11 digits), with +86 and the usual 3-4-4 spacing.
_MOBILE = r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)"
#: Landlines with their area code: 0 and 2-3 digits (never 00, the international
#: prefix), then a 7-8 digit subscriber number (never starting with 0 or 1).
_LANDLINE = r"(?<!\d)\(?0[1-9]\d{1,2}\)?[ -]?[2-9]\d{6,7}(?!\d)"
#: SAM module IDs (GA/T 467, e.g. 05.01-20201120-0012345678-1234567890) identify a
#: device, not a person: kept whole so that their digit groups are not taken for phones.
_SAM_ID = r"(?<![\d.])\d{2}\.\d{2}-\d{8}-\d{10}-\d{10}(?![\d-])"
_PII_RE = re.compile(f"(?P<keep>{_SAM_ID})|(?P<id>{_ID_RUN})|(?P<pr>{_FOREIGN_PR})"
                     f"|(?P<phone>{_MOBILE})|(?P<phone2>{_LANDLINE})", re.ASCII)

def mask_id(id_number: str) -> str:
    """330181199001011234 -> 330181********1234; short or odd input is fully masked."""
    n = len(id_number)
    if n < 12:
        return "*" * n
    return id_number[:6] + "*" * (n - 10) + id_number[-4:]


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***; keeps the first character (code point, not UTF-16 unit)."""
    chars = list(name)
    if len(chars) <= 1:
        return "*" * len(chars)
    return chars[0] + "*" * (len(chars) - 1)


def mask_phone(number: str) -> str:
    """13800138000 -> *******8000: every digit but the last four masked."""
    digits = sum(c.isdigit() for c in number)
    seen = 0
    out = []
    for c in number:
        if c.isdigit():
            seen += 1
            out.append(c if seen > digits - 4 else "*")
        else:
            out.append(c)
    return "".join(out)


def _mask_match(match: re.Match[str]) -> str:
    text = match.group(0)
    if match.lastgroup == "keep":
        return text
    if match.lastgroup == "pr":
        return text[:3] + "*" * 8 + text[-4:]
    if match.lastgroup == "id":
        return mask_id(text)
    return mask_phone(text)


def redact(text: str) -> str:
    """Mask ID numbers (18/15 digits, foreigner permanent residence numbers) and
    mainland phone numbers (mobiles, landlines with area code) in free text."""
    return _PII_RE.sub(_mask_match, text)


class RedactingFilter(logging.Filter):
    """Logging filter that masks ID numbers and phone numbers in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True
