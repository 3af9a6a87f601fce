"""Kiosk references: layout, ISO/IEC 7064 MOD 37,36 check character, parsing."""

from __future__ import annotations

import contextlib
import itertools
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.errors import ValidationError
from kiosk.submission.reference import (
    ALPHABET,
    Reference,
    check_char,
    check_ok,
    day_of,
    format_reference,
    parse_reference,
)


def test_iso_7064_published_example() -> None:
    # ISO/IEC 7064:2003, MOD 37,36 worked example.
    assert check_char("A12425GABC1234002") == "M"
    assert check_ok("A12425GABC1234002M")


def test_layout() -> None:
    ref = format_reference("XD", date(2026, 11, 22), 42)
    assert ref.startswith("XD-261122-0042-")
    assert len(ref) == len("XD-261122-0042-F")
    assert check_ok(ref.replace("-", ""))


def test_day_is_china_time() -> None:
    # 16:30 UTC on the 21st is 00:30 on the 22nd in Beijing.
    assert day_of(datetime(2026, 11, 21, 16, 30, tzinfo=UTC)) == date(2026, 11, 22)
    with pytest.raises(ValueError):
        day_of(datetime(2026, 11, 21, 16, 30))


def test_round_trip() -> None:
    ref = format_reference("XS01", date(2027, 1, 2), 9999)
    parsed = parse_reference(ref)
    assert parsed == Reference("XS01", date(2027, 1, 2), 9999)
    assert str(parsed) == ref


def test_parse_tolerates_case_blanks_and_full_width() -> None:
    ref = format_reference("XD", date(2026, 11, 22), 7)
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in ref.lower())
    assert str(parse_reference(f"  {full_width} ")) == ref


def test_every_single_substitution_is_caught() -> None:
    body = Reference("XD", date(2026, 11, 22), 42).body
    ref = body + check_char(body)
    for i, c in itertools.product(range(len(ref)), ALPHABET):
        if c != ref[i]:
            assert not check_ok(ref[:i] + c + ref[i + 1:])


def test_every_adjacent_transposition_is_caught() -> None:
    body = Reference("XD", date(2026, 11, 22), 4213 % 9999).body
    ref = body + check_char(body)
    for i in range(len(ref) - 1):
        if ref[i] != ref[i + 1]:
            swapped = ref[:i] + ref[i + 1] + ref[i] + ref[i + 2:]
            assert not check_ok(swapped)


@pytest.mark.parametrize("text", [
    "", "XD-261122-0042", "XD-261122-0042-0", "XD-261322-0042-0", "X-261122-0042-0",
    "XD-261122-42-0", "XD_261122_0042_F", "XD-261122-0000-" + check_char("XD2611220000"),
])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_reference(text)
    assert info.value.i18n_key == "form.error.reference"
    assert info.value.field == "kiosk_ref"


def test_sequence_bounds() -> None:
    with pytest.raises(ValueError):
        Reference("XD", date(2026, 1, 1), 0)
    with pytest.raises(ValueError):
        Reference("XD", date(2026, 1, 1), 10000)
    with pytest.raises(ValueError):
        Reference("xd", date(2026, 1, 1), 1)


@given(st.text(max_size=40))
def test_parse_only_raises_validation_error(text: str) -> None:
    with contextlib.suppress(ValidationError):
        parse_reference(text)


@given(st.sampled_from(["XD", "AB12", "Z9"]), st.dates(date(2000, 1, 1), date(2099, 12, 31)),
       st.integers(1, 9999))
def test_any_formatted_reference_parses(prefix: str, day: date, seq: int) -> None:
    assert parse_reference(format_reference(prefix, day, seq)) == Reference(prefix, day, seq)
