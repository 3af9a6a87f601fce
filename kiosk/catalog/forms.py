"""Validation of a service item's form against the catalog's field declarations.

The catalog (``kiosk/catalog.py``) declares each field; this module only needs
the attributes named in :class:`FieldSpec`, so it is written against that
Protocol rather than the catalog's classes.

Every value is normalised before it is checked (NFC, trimmed; phone, number and
ID fields folded from full-width to ASCII with NFKC because Chinese input
methods often produce ``１３８…``). Failures are
:class:`~kiosk.errors.ValidationError` with ``field`` set and an ``i18n_key``
``form.error.<kind>``; the texts live in ``kiosk/locale/*/cases.po``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Protocol

from kiosk.errors import ValidationError
from kiosk.identity import id_birth_date, is_valid_id_number

FormValue = str | int | float | bool

#: Mainland mobile numbers: 11 digits, 1 then 3-9 (MIIT numbering plan).
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
#: Landlines: trunk prefix 0, 2-3 digit area code, 7-8 digit subscriber number.
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
#: No living applicant, and no ID number in use, was born before this day.
EARLIEST_BIRTH = date(1900, 1, 1)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
#: Characters people put inside phone and ID numbers that carry no meaning.
_SEPARATORS = re.compile(r"[\s\u3000]+")

#: Every error kind this module can report (each needs a translation in cases.po).
ERROR_KINDS = (
    "required", "unknown", "id_number", "phone", "date", "future_date", "choice",
    "too_short", "too_long", "too_small", "too_large", "pattern", "number", "bool",
    "type", "reference", "id_birth", "early_date",
)


class ChoiceSpec(Protocol):
    @property
    def value(self) -> str: ...


class FieldSpec(Protocol):
    """What validation needs from ``kiosk.catalog.FormField``."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def required(self) -> bool: ...
    @property
    def prefill(self) -> str | None: ...
    @property
    def choices(self) -> Sequence[ChoiceSpec]: ...
    @property
    def min_length(self) -> int | None: ...
    @property
    def max_length(self) -> int | None: ...
    @property
    def min(self) -> float | None: ...
    @property
    def max(self) -> float | None: ...
    @property
    def pattern(self) -> str | None: ...


def _error(field: FieldSpec, kind: str, detail: str) -> ValidationError:
    # ``detail`` is for technicians: it names the rule, never echoes the value.
    return ValidationError(f"{field.name}: {detail}", field=field.name,
                           i18n_key=f"form.error.{kind}")


def is_birth_date(field: FieldSpec) -> bool:
    """A date field that holds a birth date must not be in the future."""
    return "birth" in field.name.lower() or "birth" in (field.prefill or "").lower()


def is_year(field: FieldSpec) -> bool:
    """A number field that holds a calendar year (``year``, ``*_year``)."""
    return field.type == "number" and (field.name == "year" or field.name.endswith("_year"))


def year_limits(field: FieldSpec, today: date) -> tuple[float, float]:
    """A year lies between 1900 (or the field's later ``min``) and this year (or an
    earlier ``max``): the upper limit follows the clock, never a year in the data."""
    low = max(field.min if field.min is not None else EARLIEST_BIRTH.year, EARLIEST_BIRTH.year)
    high = min(field.max if field.max is not None else today.year, today.year)
    return low, high


def normalise_text(field: FieldSpec, raw: str) -> str:
    if field.type in ("phone", "number", "id_number"):
        text = unicodedata.normalize("NFKC", raw)
        if field.type != "number":
            text = _SEPARATORS.sub("", text)
        text = text.strip()
        return text.upper() if field.type == "id_number" else text
    text = unicodedata.normalize("NFC", raw).strip()
    if field.type == "date":
        text = unicodedata.normalize("NFKC", text)
    return text


def _is_empty(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def validate_field(field: FieldSpec, raw: object, *, today: date) -> FormValue | None:
    """Normalise and check one value; ``None`` means "left empty" (allowed when optional)."""
    if field.type == "bool":
        return _bool(field, raw)
    if _is_empty(raw):
        if field.required:
            raise _error(field, "required", "required")
        return None
    if field.type == "number":
        return _number(field, raw, today)
    if isinstance(raw, date):
        raw = raw.isoformat()
    if not isinstance(raw, str):
        raise _error(field, "type", f"expected text, got {type(raw).__name__}")
    text = normalise_text(field, raw)
    checker = _TEXT_CHECKS.get(field.type)
    if checker is None:
        raise _error(field, "type", f"unknown field type {field.type!r}")
    checker(field, text, today)
    _lengths(field, text)
    if field.pattern and not re.fullmatch(field.pattern, text):
        raise _error(field, "pattern", "does not match the field's pattern")
    return text


def _bool(field: FieldSpec, raw: object) -> bool:
    if raw is None:
        value = False
    elif isinstance(raw, bool):
        value = raw
    else:
        raise _error(field, "bool", f"expected yes/no, got {type(raw).__name__}")
    # A required yes/no is a consent box: only "yes" satisfies it.
    if field.required and not value:
        raise _error(field, "required", "must be confirmed")
    return value


def _number(field: FieldSpec, raw: object, today: date) -> int | float:
    if isinstance(raw, bool):
        raise _error(field, "number", "expected a number")
    if isinstance(raw, int | float):
        value: int | float = raw
    elif isinstance(raw, str):
        text = normalise_text(field, raw)
        if not _NUMBER_RE.match(text):
            raise _error(field, "number", "not a decimal number")
        value = float(text)
    else:
        raise _error(field, "number", f"expected a number, got {type(raw).__name__}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _error(field, "number", "not finite")
        if value.is_integer() and abs(value) < 2**53:
            value = int(value)
    low, high = year_limits(field, today) if is_year(field) else (field.min, field.max)
    if low is not None and value < low:
        raise _error(field, "too_small", f"below {low}")
    if high is not None and value > high:
        raise _error(field, "too_large", f"above {high}")
    return value


def _lengths(field: FieldSpec, text: str) -> None:
    if field.min_length is not None and len(text) < field.min_length:
        raise _error(field, "too_short", f"shorter than {field.min_length}")
    if field.max_length is not None and len(text) > field.max_length:
        raise _error(field, "too_long", f"longer than {field.max_length}")


def _check_plain(field: FieldSpec, text: str, today: date) -> None:
    if any(unicodedata.category(c) == "Cc" for c in text if c not in "\n\t"):
        raise _error(field, "type", "control characters")
    if field.type == "text" and "\n" in text:
        raise _error(field, "type", "line break in a one-line field")


def _check_id(field: FieldSpec, text: str, today: date) -> None:
    if not is_valid_id_number(text):
        raise _error(field, "id_number", "not a valid GB 11643 ID number")
    birth = id_birth_date(text)
    if birth is None or not EARLIEST_BIRTH <= birth <= today:
        raise _error(field, "id_birth", "birth date in the ID number is before 1900 or "
                     "after today")


def _check_phone(field: FieldSpec, text: str, today: date) -> None:
    if not (MOBILE_RE.match(text) or LANDLINE_RE.match(text)):
        raise _error(field, "phone", "not a mainland mobile or landline number")


def _check_date(field: FieldSpec, text: str, today: date) -> None:
    if not _DATE_RE.match(text):
        raise _error(field, "date", "not an ISO date YYYY-MM-DD")
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise _error(field, "date", "no such day") from None
    if is_birth_date(field) and value > today:
        raise _error(field, "future_date", "birth date in the future")
    if is_birth_date(field) and value < EARLIEST_BIRTH:
        raise _error(field, "early_date", "birth date before 1900")


def _check_choice(field: FieldSpec, text: str, today: date) -> None:
    if text not in {c.value for c in field.choices}:
        raise _error(field, "choice", "not one of the offered choices")


_TEXT_CHECKS = {
    "text": _check_plain,
    "textarea": _check_plain,
    "id_number": _check_id,
    "phone": _check_phone,
    "date": _check_date,
    "choice": _check_choice,
}


def form_errors(fields: Sequence[FieldSpec], values: Mapping[str, object], *,
                today: date) -> tuple[dict[str, FormValue], list[ValidationError]]:
    """Check every field; return the clean values and every error (for the screen)."""
    clean: dict[str, FormValue] = {}
    errors: list[ValidationError] = []
    known = {f.name for f in fields}
    for name in values:
        if name not in known:
            errors.append(ValidationError(f"{name}: not a field of this form", field=name,
                                          i18n_key="form.error.unknown"))
    for field in fields:
        try:
            value = validate_field(field, values.get(field.name), today=today)
        except ValidationError as exc:
            errors.append(exc)
            continue
        if value is not None:
            clean[field.name] = value
    return clean, errors


def validate_form(fields: Sequence[FieldSpec], values: Mapping[str, object], *,
                  today: date) -> dict[str, FormValue]:
    """Clean values, or the first :class:`ValidationError` in field order."""
    clean, errors = form_errors(fields, values, today=today)
    if errors:
        raise errors[0]
    return clean
