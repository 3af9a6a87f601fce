"""Form validation against catalog field declarations (kiosk/catalog/forms.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polib
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.catalog import load_catalog
from kiosk.catalog.forms import ERROR_KINDS, form_errors, validate_field, validate_form
from kiosk.errors import ValidationError
from kiosk.identity import id_check_char

TODAY = date(2026, 11, 22)
LOCALE = Path(__file__).resolve().parents[3] / "kiosk" / "locale"


@dataclass(frozen=True)
class Choice:
    value: str


@dataclass(frozen=True)
class Field:
    name: str
    type: str = "text"
    required: bool = False
    prefill: str | None = None
    choices: list[Choice] = field(default_factory=list)
    min_length: int | None = None
    max_length: int | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None


def valid_id(first17: str = "33018119900101123") -> str:
    return first17 + id_check_char(first17)


def kind(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return exc.value.i18n_key.removeprefix("form.error.")


def test_required_and_optional() -> None:
    with pytest.raises(ValidationError) as info:
        validate_field(Field("name", required=True), "   ", today=TODAY)
    assert kind(info) == "required" and info.value.field == "name"
    assert validate_field(Field("note"), None, today=TODAY) is None
    assert validate_field(Field("note"), "", today=TODAY) is None


def test_text_is_nfc_and_trimmed() -> None:
    decomposed = "e\u0301"  # e + combining acute
    assert validate_field(Field("n"), f"  {decomposed}  ", today=TODAY) == "\u00e9"


def test_one_line_text_refuses_line_breaks_textarea_allows() -> None:
    with pytest.raises(ValidationError):
        validate_field(Field("n"), "a\nb", today=TODAY)
    assert validate_field(Field("n", type="textarea"), "a\nb", today=TODAY) == "a\nb"
    with pytest.raises(ValidationError):
        validate_field(Field("n", type="textarea"), "a\x00b", today=TODAY)


def test_id_number() -> None:
    f = Field("id", type="id_number")
    good = valid_id("11010519491231002")
    assert validate_field(f, good.lower(), today=TODAY) == good.upper()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in good)
    assert validate_field(f, f" {full_width} ", today=TODAY) == good
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError) as info:
        validate_field(f, bad, today=TODAY)
    assert kind(info) == "id_number"


@pytest.mark.parametrize("raw, expected", [
    ("13800000000", "13800000000"),
    ("１３８ ００００ ００００", "13800000000"),
    ("0571-88886666", "0571-88886666"),
    ("057188886666", "057188886666"),
    ("010-1234567", "010-1234567"),
])
def test_phone_accepts(raw: str, expected: str) -> None:
    assert validate_field(Field("phone", type="phone"), raw, today=TODAY) == expected


@pytest.mark.parametrize("raw", ["12800000000", "1380000000", "138000000001", "571-88886666",
                                 "0571-888866", "abc", "+8613800000000"])
def test_phone_refuses(raw: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_field(Field("phone", type="phone"), raw, today=TODAY)
    assert kind(info) == "phone"


def test_dates() -> None:
    f = Field("start", type="date")
    assert validate_field(f, "2030-01-01", today=TODAY) == "2030-01-01"
    assert validate_field(f, date(2020, 2, 29), today=TODAY) == "2020-02-29"
    for bad in ("2021-02-29", "2021/01/01", "20210101", "yesterday"):
        with pytest.raises(ValidationError) as info:
            validate_field(f, bad, today=TODAY)
        assert kind(info) == "date"


def test_birth_date_not_in_future() -> None:
    for f in (Field("birth_date", type="date"), Field("dob", type="date", prefill="card.birth")):
        assert validate_field(f, "2026-11-22", today=TODAY) == "2026-11-22"
        with pytest.raises(ValidationError) as info:
            validate_field(f, "2026-11-23", today=TODAY)
        assert kind(info) == "future_date"


def test_choice() -> None:
    f = Field("kind", type="choice", choices=[Choice("a"), Choice("b")])
    assert validate_field(f, "b", today=TODAY) == "b"
    with pytest.raises(ValidationError) as info:
        validate_field(f, "c", today=TODAY)
    assert kind(info) == "choice"


def test_lengths_and_pattern() -> None:
    f = Field("code", min_length=2, max_length=4, pattern=r"[A-Z]+")
    assert validate_field(f, "AB", today=TODAY) == "AB"
    for raw, k in (("A", "too_short"), ("ABCDE", "too_long"), ("ab", "pattern")):
        with pytest.raises(ValidationError) as info:
            validate_field(f, raw, today=TODAY)
        assert kind(info) == k
    # Lengths count characters, not bytes: four Chinese characters fit max_length=4.
    assert validate_field(Field("n", max_length=4), "欧阳娜娜", today=TODAY) == "欧阳娜娜"


def test_numbers() -> None:
    f = Field("area", type="number", min=1, max=500)
    assert validate_field(f, "８０", today=TODAY) == 80
    assert validate_field(f, "80.5", today=TODAY) == 80.5
    assert validate_field(f, 3, today=TODAY) == 3
    for raw, k in (("0", "too_small"), ("501", "too_large"), ("1e3", "number"), ("nan", "number"),
                   (True, "number"), (float("inf"), "number"), ([1], "number")):
        with pytest.raises(ValidationError) as info:
            validate_field(f, raw, today=TODAY)
        assert kind(info) == k


def test_bool_consent() -> None:
    assert validate_field(Field("agree", type="bool"), None, today=TODAY) is False
    assert validate_field(Field("agree", type="bool", required=True), True, today=TODAY) is True
    with pytest.raises(ValidationError) as info:
        validate_field(Field("agree", type="bool", required=True), False, today=TODAY)
    assert kind(info) == "required"
    with pytest.raises(ValidationError) as info:
        validate_field(Field("agree", type="bool"), "yes", today=TODAY)
    assert kind(info) == "bool"


def test_wrong_type_for_text() -> None:
    with pytest.raises(ValidationError) as info:
        validate_field(Field("n"), 12, today=TODAY)
    assert kind(info) == "type"


def test_whole_form_collects_every_error() -> None:
    fields = [Field("name", required=True), Field("phone", type="phone", required=True),
              Field("note")]
    clean, errors = form_errors(fields, {"phone": "123", "extra": "x"}, today=TODAY)
    assert clean == {}
    assert sorted((e.field, e.i18n_key) for e in errors) == [
        ("extra", "form.error.unknown"), ("name", "form.error.required"),
        ("phone", "form.error.phone")]
    values = validate_form(fields, {"name": " 张三 ", "phone": "13912345678"}, today=TODAY)
    assert values == {"name": "张三", "phone": "13912345678"}
    with pytest.raises(ValidationError):
        validate_form(fields, {}, today=TODAY)


def test_error_detail_never_echoes_the_value() -> None:
    secret = valid_id()[:-1] + "0" if valid_id()[-1] != "0" else valid_id()[:-1] + "1"
    with pytest.raises(ValidationError) as info:
        validate_field(Field("id", type="id_number"), secret, today=TODAY)
    assert secret not in str(info.value)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_error_kind_is_translated(lang: str) -> None:
    po = polib.pofile(str(LOCALE / lang / "cases.po"))
    texts = {e.msgid: e.msgstr for e in po}
    for k in ERROR_KINDS:
        assert texts.get(f"form.error.{k}"), f"{lang}: form.error.{k} missing"
    assert all(texts.values())
    if lang == "zh_CN":
        assert all(re.search(r"[\u4e00-\u9fff]", t) for t in texts.values())


_FIELD_TYPES = ["text", "textarea", "number", "phone", "id_number", "date", "choice", "bool"]


@given(st.sampled_from(_FIELD_TYPES), st.one_of(st.text(max_size=30), st.integers(),
                                               st.floats(), st.booleans(), st.none()))
def test_only_validation_errors_escape(ftype: str, raw: object) -> None:
    f = Field("x", type=ftype, choices=[Choice("a")], min=0, max=10, min_length=1,
              max_length=20)
    try:
        validate_field(f, raw, today=TODAY)
    except ValidationError as exc:
        assert exc.i18n_key.removeprefix("form.error.") in ERROR_KINDS


# --------------------------------------------------------------------------- impossible people


@pytest.mark.parametrize("first17", [
    "11010520990101001",    # born 2099: in the future
    "11010518000101001",    # born 1800
    "11010518991231001",    # the day before 1900
    "33018120261123001",    # born tomorrow (TODAY is 2026-11-22)
])
def test_id_number_with_an_impossible_birth_date_is_refused(first17: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_field(Field("id", type="id_number"), valid_id(first17), today=TODAY)
    assert kind(info) == "id_birth"


def test_the_issue_s_id_number_born_2099_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        validate_field(Field("id", type="id_number"), "110105209901010012", today=TODAY)
    assert kind(info) in ("id_birth", "id_number")


@pytest.mark.parametrize("first17", ["11010519000101001", "33018120261122001"])
def test_id_number_born_1900_or_today_is_accepted(first17: str) -> None:
    number = valid_id(first17)
    assert validate_field(Field("id", type="id_number"), number, today=TODAY) == number


def test_id_number_limit_follows_the_clock() -> None:
    born_2027 = valid_id("33018120270301001")
    with pytest.raises(ValidationError):
        validate_field(Field("id", type="id_number"), born_2027, today=TODAY)
    assert validate_field(Field("id", type="id_number"), born_2027,
                          today=date(2027, 3, 1)) == born_2027


def test_birth_date_not_before_1900() -> None:
    f = Field("birth_date", type="date")
    assert validate_field(f, "1900-01-01", today=TODAY) == "1900-01-01"
    with pytest.raises(ValidationError) as info:
        validate_field(f, "1899-12-31", today=TODAY)
    assert kind(info) == "early_date"


def test_year_fields_end_at_this_year_by_the_clock() -> None:
    year = Field("year", type="number", min=1950)
    assert validate_field(year, "2026", today=TODAY) == 2026
    with pytest.raises(ValidationError) as info:
        validate_field(year, "2027", today=TODAY)
    assert kind(info) == "too_large"
    assert validate_field(year, "2027", today=date(2027, 1, 1)) == 2027  # no hard-coded 2026
    with pytest.raises(ValidationError) as info:
        validate_field(year, "1949", today=TODAY)
    assert kind(info) == "too_small"
    with pytest.raises(ValidationError) as info:
        validate_field(Field("marriage_year", type="number"), "1899", today=TODAY)
    assert kind(info) == "too_small"


def test_the_catalog_has_no_hard_coded_year_limit() -> None:
    catalog = load_catalog(Path(__file__).resolve().parents[3] / "config" / "catalog")
    year = next(f for f in catalog.item("330109-MZ-002").form if f.name == "year")
    assert validate_field(year, "2030", today=date(2030, 6, 1)) == 2030
