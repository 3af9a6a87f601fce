"""Redaction of personal data in free text (logs, technician screens, bundles)."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.identity import id_check_char
from kiosk.privacy import RedactingFilter, redact
from kiosk.submission.reference import format_reference

ID18 = "330109199001011234"


@pytest.mark.parametrize("secret", [
    ID18,
    "33010919900101123X",
    "330109900101123",          # first-generation 15-digit ID
    "USA330188051231",          # foreigner permanent residence card, 2004/2017 number
    "933156199001011238",       # foreigner permanent residence ID card, 2023 form
    "13800138000",
    "138 0013 8000",
    "+86 138-0013-8000",
    "8613800138000",
    "0571-87654321",
    "057187654321",
    "(0571)87654321",
    "010-65521234",
])
@pytest.mark.parametrize("template", ["{}", "id {} read", "号码：{}。", "id{}", "tel{}ok",
                                      "身份证号{}，电话"])
def test_secrets_never_survive(secret: str, template: str) -> None:
    text = template.format(secret)
    out = redact(text)
    assert secret not in out
    assert secret[-4:] in out  # a technician can still tell two records apart


def test_masks_keep_the_first_six_and_last_four_of_an_id() -> None:
    assert redact(f"card {ID18} read") == "card 330109********1234 read"
    assert redact("tel 13800138000") == "tel *******8000"
    assert redact("PR USA330188051231") == "PR USA********1231"


@pytest.mark.parametrize("readable", [
    "case XS20261205000001 accepted",
    "kiosk ref XD-261122-0042-7 stored",
    "ref XD-260105-0571-3 stored",
    "2026-12-05 18:01:07,123 INFO outbox: stored XD-261205-0001-K (3 blobs, 1048576 bytes)",
    "printer 127.0.0.1:9100 answered in 42 ms",
    "heartbeat at 1764957667 (epoch)",
    "terminal XS-NY-0001 v2026.11-sample.1",
    "SAM 05.01-20201120-0012345678-1234567890 answered",
    "SAM 05.01-20080315-0212345678-0000000042 answered",
    "took 0.0012345678 s",
])
def test_case_numbers_references_and_plain_numbers_stay_readable(readable: str) -> None:
    assert redact(readable) == readable


# --------------------------------------------------------------------------- fuzz

def _id18(draw: st.DrawFn) -> str:
    region = draw(st.integers(110000, 999999))
    birth = draw(st.dates(date(1900, 1, 1), date(2099, 12, 31))).strftime("%Y%m%d")
    seq = draw(st.integers(0, 999))
    body = f"{region}{birth}{seq:03d}"
    return body + id_check_char(body)


@st.composite
def secrets(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["id18", "id15", "pr", "mobile", "landline"]))
    digits = st.text("0123456789", min_size=1, max_size=1)
    if kind == "id18":
        return _id18(draw)
    if kind == "id15":
        return "".join(draw(digits) for _ in range(15))
    if kind == "pr":
        letters = draw(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3))
        return letters + "".join(draw(digits) for _ in range(12))
    if kind == "mobile":
        return "1" + draw(st.sampled_from("3456789")) + "".join(draw(digits) for _ in range(9))
    area = "0" + draw(st.sampled_from("123456789")) + "".join(
        draw(digits) for _ in range(draw(st.integers(1, 2))))
    sep = draw(st.sampled_from(["", "-", " "]))
    return area + sep + draw(st.sampled_from("23456789")) + "".join(
        draw(digits) for _ in range(draw(st.integers(6, 7))))


#: Random text that does not touch the secret with a digit (a digit there would
#: make it part of a longer number, which is a different number).
_text = st.text(st.characters(codec="utf-8"), max_size=30)


@settings(max_examples=400)
@given(before=_text, secret=secrets(), after=_text)
def test_fuzz_an_embedded_id_or_phone_never_reaches_the_output(
        before: str, secret: str, after: str) -> None:
    if (before and before[-1].isdigit()) or (after and after[0].isdigit()):
        before, after = before + " ", " " + after
    out = redact(before + secret + after)
    assert secret not in out


@given(seq=st.integers(1, 9999), prefix=st.from_regex(r"[A-Z0-9]{2,4}", fullmatch=True),
       day=st.dates(date(2000, 1, 1), date(2099, 12, 31)), case=st.integers(1, 999999))
def test_fuzz_references_and_case_numbers_are_never_masked(
        seq: int, prefix: str, day: date, case: int) -> None:
    ref = format_reference(prefix, day, seq)
    number = f"XS{day:%Y%m%d}{case:06d}"
    text = f"stored {ref} as case {number}"
    assert redact(text) == text


def test_the_logging_filter_masks_phones_too() -> None:
    record = logging.LogRecord("kiosk", logging.INFO, __file__, 1, "call %s or %s",
                               ("13800138000", "id" + ID18), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "call *******8000 or id330109********1234"
