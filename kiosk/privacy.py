"""Masking of personal data for logs, receipts and technician screens.

Rule (README.md, "Privacy"): logs and receipts never carry a full ID number or a
full name. IDs keep the first 6 and last 4 characters (330181********1234).
"""

from __future__ import annotations

import logging
import re

_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{7,8})(\d{3}[\dXx])(?![0-9A-Za-z])")


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


def redact(text: str) -> str:
    """Mask anything in free text that looks like an 18- or 15-digit ID number."""
    return _ID_RE.sub(lambda m: mask_id(m.group(0)), text)


class RedactingFilter(logging.Filter):
    """Logging filter that masks ID-number-like digit runs in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True
