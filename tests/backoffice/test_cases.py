"""Malformed cases are refused clearly; case status shows the timeline and 容缺 owed."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice.errors import ApiError
from backoffice.routes.common import parse_json
from backoffice.schemas import CaseSubmission
from backoffice.settings import Settings
from kiosk.catalog import load_catalog
from tests.backoffice.testing import JPEG, TerminalClient, make_case


@pytest.fixture
def uploaded(terminal: TerminalClient) -> TerminalClient:
    assert terminal.put_material(JPEG).status_code == 201
    return terminal


def _invalid(r) -> str:  # type: ignore[no-untyped-def]
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_case"
    return str(r.json()["detail"])


def test_not_json(uploaded: TerminalClient) -> None:
    r = uploaded.request("POST", "/api/v1/cases", body=b"{not json",
                         headers={"Idempotency-Key": "XD-261122-0042-F"})
    assert "JSON" in _invalid(r)


def test_deeply_nested_json(uploaded: TerminalClient) -> None:
    r = uploaded.request("POST", "/api/v1/cases", body=b"[" * 100_000 + b"]" * 100_000,
                         headers={"Idempotency-Key": "XD-261122-0042-F"})
    _invalid(r)


def test_missing_field_detail_names_it_without_personal_data(uploaded: TerminalClient) -> None:
    case = make_case()
    del case["item_code"]
    case["applicant"]["id_number"] = "11010519491231002X!!"  # invalid, and must not echo
    detail = _invalid(uploaded.submit(case))
    assert "item_code" in detail and "applicant.id_number" in detail
    assert "11010519491231002X" not in detail


def test_unknown_top_level_field(uploaded: TerminalClient) -> None:
    case = make_case()
    case["surprise"] = 1
    assert "surprise" in _invalid(uploaded.submit(case))


def test_wrong_schema_version(uploaded: TerminalClient) -> None:
    case = make_case()
    case["schema"] = 2
    assert "schema" in _invalid(uploaded.submit(case))


def test_key_must_match_reference(uploaded: TerminalClient) -> None:
    assert "Idempotency-Key" in _invalid(uploaded.submit(make_case(), key="XD-OTHER-1"))


def test_missing_idempotency_key(uploaded: TerminalClient) -> None:
    r = uploaded.request("POST", "/api/v1/cases", json_body=make_case())
    assert "Idempotency-Key" in _invalid(r)


def test_terminal_must_be_the_signer(uploaded: TerminalClient) -> None:
    assert "terminal_id" in _invalid(uploaded.submit(make_case(terminal_id="XS-OTHER")))


def test_declared_size_must_match(uploaded: TerminalClient) -> None:
    case = make_case()
    case["materials"][0]["pages"][0]["size"] += 1
    assert "size" in _invalid(uploaded.submit(case))


def test_body_over_one_mib(uploaded: TerminalClient) -> None:
    case = make_case()
    case["form"]["blob"] = "x" * (1024 * 1024)
    r = uploaded.submit(case)
    assert r.status_code == 413 and r.json()["error"] == "too_large"


def test_nul_in_text_is_refused(uploaded: TerminalClient) -> None:
    case = make_case()
    case["applicant"]["name"] = "张\x00三"
    _invalid(uploaded.submit(case))


def test_status_by_number_and_reference(uploaded: TerminalClient) -> None:
    receipt = uploaded.submit(make_case()).json()
    for key in (receipt["case_number"], receipt["kiosk_ref"]):
        r = uploaded.case_status(key, receipt["kiosk_ref"])
        assert r.status_code == 200, r.text
        status = r.json()
        assert status == {
            **receipt, "item_code": "330109-HJ-001",
            "owed_materials": [{"code": "M03", "name": "婚姻状况证明", "deadline": "2026-12-06"}],
            "collect": None,
            "timeline": [{"status": "submitted", "at": "2026-11-22T01:00:00Z", "note": ""}],
        }
        # CaseStatus carries no personal data.
        text = json.dumps(status, ensure_ascii=False)
        assert "11010519491231002X" not in text and "张三" not in text


def test_status_unknown_case(uploaded: TerminalClient) -> None:
    r = uploaded.case_status("XS20260101999999")
    assert r.status_code == 404
    assert r.json() == {"error": "not_found",
                        "detail": "no case with this number or reference and token"}


def test_case_without_materials_or_deferred(uploaded: TerminalClient) -> None:
    r = uploaded.submit(make_case(pages=[], deferred=False))
    assert r.status_code == 201
    status = uploaded.case_status(r.json()["case_number"]).json()
    assert status["owed_materials"] == []


def test_lost_material_row_is_rebuilt_from_the_blob(uploaded: TerminalClient) -> None:
    """The blob file is the truth; its index row (written without fsync) may be lost."""
    from sqlalchemy import delete

    from backoffice.models import Material

    with uploaded.client.app.state.sessions.begin() as session:  # type: ignore[attr-defined]
        session.execute(delete(Material))
    r = uploaded.submit(make_case())
    assert r.status_code == 201, r.text


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(data=st.one_of(st.binary(max_size=300), _json_values.map(
    lambda v: json.dumps(v).encode()), st.builds(
    lambda extra: json.dumps({**make_case(), **extra}).encode(),
    st.dictionaries(st.sampled_from(sorted(make_case())), _json_values, max_size=3))))
def test_case_parser_refuses_only_with_invalid_case(data: bytes) -> None:
    """Any bytes a terminal may send: a CaseSubmission, or a 422 invalid_case; nothing else."""
    try:
        parse_json(CaseSubmission, data, "invalid_case")
    except ApiError as exc:
        assert exc.status == 422 and exc.code == "invalid_case"


def test_unknown_item_code(uploaded: TerminalClient) -> None:
    case = make_case()
    case["item_code"] = "330109-XX-999"
    assert "item_code" in _invalid(uploaded.submit(case))


def test_bundle_code_must_be_known(uploaded: TerminalClient, settings: Settings) -> None:
    bundle = load_catalog(settings.catalog_dir).bundles[0].code
    case = make_case()
    case["bundle_code"] = bundle
    assert uploaded.submit(case).status_code == 201
    other = make_case("XD-261122-0043-D")
    other["bundle_code"] = "NO-SUCH-BUNDLE"
    assert "bundle_code" in _invalid(uploaded.submit(other))


def test_item_leaving_the_catalog_keeps_the_receipt(uploaded: TerminalClient,
                                                    settings: Settings) -> None:
    """Idempotency wins: a retry after the item left the catalog gets its receipt again."""
    case = make_case()
    first = uploaded.submit(case)
    assert first.status_code == 201
    path = settings.catalog_dir / "items-public-security.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("330109-HJ-001", "330109-HJ-900"),
                    encoding="utf-8")
    again = uploaded.submit(case)
    assert again.status_code == 200 and again.json() == first.json()
