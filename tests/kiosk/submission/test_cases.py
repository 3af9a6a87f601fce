"""The case model and its CaseSubmission JSON (backoffice/API.md, schema 1)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from backoffice import schemas
from kiosk.errors import ValidationError
from kiosk.identity import CardType, Identity
from kiosk.submission.cases import (
    MAX_BLOB_BYTES,
    Applicant,
    Blob,
    Case,
    Material,
    Rating,
    Verification,
)
from kiosk.submission.reference import format_reference
from tests.kiosk.case_factory import CREATED, id_number, make_case

REF = format_reference("XD", date(2026, 11, 22), 42)

# The top-level and nested keys of the CaseSubmission example in backoffice/API.md.
API_KEYS = {"schema", "kiosk_ref", "item_code", "bundle_code", "site_id", "terminal_id",
            "created_at", "applicant", "verification", "form", "materials",
            "deferred_materials", "signature", "rating"}
APPLICANT_KEYS = {"id_number", "name", "sex", "nation", "birth", "address", "card_type",
                  "card_valid_to"}


def test_submission_has_exactly_the_contract_shape() -> None:
    sub = make_case().with_ref(REF).to_submission()
    assert set(sub) == API_KEYS
    assert sub["schema"] == 1 and sub["kiosk_ref"] == REF
    assert set(sub["applicant"]) == APPLICANT_KEYS
    assert set(sub["verification"]) == {"method", "score", "verified_at"}
    assert sub["created_at"] == "2026-11-22T09:30:00+08:00"
    assert sub["verification"]["verified_at"] == "2026-11-22T09:30:00+08:00"
    page = sub["materials"][0]["pages"][0]
    assert set(page) == {"sha256", "content_type", "size"} and len(page["sha256"]) == 64
    assert sub["deferred_materials"] == [{"code": "M03", "name": "结婚证",
                                          "deadline": "2026-12-06"}]
    assert sub["rating"] == {"score": 5, "reasons": ["fast"]}
    assert sub["signature"]["content_type"] == "image/png"


def test_body_is_stable_utf8_json() -> None:
    case = make_case().with_ref(REF)
    body = case.submission_body()
    assert body == case.submission_body()
    assert "张三".encode() in body  # not \u-escaped
    assert json.loads(body) == case.to_submission()


def test_no_reference_no_submission() -> None:
    with pytest.raises(ValueError):
        make_case().to_submission()
    with pytest.raises(ValidationError):
        make_case().with_ref("XD-261122-0042-0")


def test_blob_hash_and_limits() -> None:
    blob = Blob("image/jpeg", b"abc")
    assert blob.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert blob.size == 3 and "abc" not in repr(blob)
    with pytest.raises(ValidationError) as info:
        Blob("image/gif", b"GIF89a")
    assert info.value.i18n_key == "case.error.content_type"
    with pytest.raises(ValidationError):
        Blob("image/jpeg", b"")
    with pytest.raises(ValidationError) as info:
        Blob("application/pdf", b"x" * (MAX_BLOB_BYTES + 1))
    assert info.value.i18n_key == "case.error.too_large"


def test_blobs_are_deduplicated_and_budgeted() -> None:
    case = make_case(pages=2, page_size=1000)
    same = case.materials[0].pages[0]
    doubled = Case(**{**case.__dict__, "materials": (
        *case.materials, Material("M02", "复印件", (same,)))})
    assert [b.sha256 for b in doubled.blobs()] == [b.sha256 for b in case.blobs()]
    doubled.check_budget(10_000)
    with pytest.raises(ValidationError) as info:
        doubled.check_budget(1_000)
    assert info.value.i18n_key == "case.error.too_large"


def test_body_limit() -> None:
    case = make_case()
    big = Case(**{**case.__dict__, "form": {"note": "长" * 400_000}}).with_ref(REF)
    with pytest.raises(ValidationError) as info:
        big.submission_body()
    assert info.value.i18n_key == "case.error.too_large"


def test_repr_hides_personal_data() -> None:
    case = make_case().with_ref(REF)
    text = repr(case)
    assert id_number() not in text and "张三" not in text and "13800000000" not in text
    assert REF in text


def test_applicant_from_identity_takes_only_contract_fields() -> None:
    identity = Identity(card_type=CardType.RESIDENT, name="李四", id_number=id_number(7),
                        sex="2", birth=date(1990, 1, 1), nation="01", address="某地",
                        authority="某公安局", valid_to=None, long_term=True,
                        photo_bmp=b"BM...")
    applicant = Applicant.from_identity(identity)
    assert applicant.to_json() == {
        "id_number": id_number(7), "name": "李四", "sex": "2", "nation": "01",
        "birth": "1990-01-01", "address": "某地", "card_type": "resident",
        "card_valid_to": None}


def test_form_is_copied_so_the_case_cannot_change() -> None:
    form = {"phone": "13800000000"}
    case = Case(**{**make_case().__dict__, "form": form})
    form["phone"] = "x"
    assert case.form["phone"] == "13800000000"


def test_bad_values() -> None:
    with pytest.raises(ValueError):
        Verification("password", 1.0, CREATED)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Verification("card", None, datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        Verification("card+face", 1.5, CREATED)
    with pytest.raises(ValueError):
        Rating(6)
    with pytest.raises(ValidationError):
        Material("M01", "x", ())
    with pytest.raises(ValidationError):
        Case(**{**make_case().__dict__, "item_code": ""})
    assert Verification("card", None, datetime(2026, 1, 1, tzinfo=UTC)).to_json()["score"] is None


def test_submission_validates_against_the_back_office_schema() -> None:
    sub = make_case().with_ref(REF).to_submission()
    parsed = schemas.CaseSubmission.model_validate(sub)
    assert parsed.kiosk_ref == REF
    minimal = Case(**{**make_case().__dict__, "deferred": (), "signature": None,
                      "rating": None}).with_ref(REF).to_submission()
    schemas.CaseSubmission.model_validate(minimal)
