"""Catalog search (kiosk/catalog/search.py): Chinese, English, pinyin, initials, ranking."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.catalog import Catalog, load_catalog
from kiosk.catalog.search import CatalogSearch, fold, pinyin_forms
from kiosk.config.model import ROOT


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(ROOT / "config" / "catalog")


@pytest.fixture(scope="module")
def search(catalog: Catalog) -> CatalogSearch:
    return CatalogSearch(catalog)


def codes(found: list[Any]) -> list[str]:
    return [i.code for i in found]


def test_gjj_finds_every_housing_fund_item(catalog: Catalog, search: CatalogSearch) -> None:
    fund = {i.code for i in catalog.by_department("housing-fund")}
    assert set(codes(search.search("gjj"))) == fund


def test_hkb_finds_the_household_booklet_items(catalog: Catalog, search: CatalogSearch) -> None:
    found = search.search("hkb")
    booklet = {i.code for i in catalog.items if "户口簿" in i.name.zh_CN}
    assert len(booklet) >= 3
    assert booklet <= set(codes(found))
    # Items named 户口簿 rank before an item that only mentions it among its materials/keywords.
    assert set(codes(found[:len(booklet)])) == booklet


def test_full_pinyin_and_chinese_find_id_card_items(search: CatalogSearch) -> None:
    by_pinyin = codes(search.search("shenfenzheng"))
    assert {"330109-HJ-001", "330109-HJ-002"} <= set(by_pinyin)
    assert set(codes(search.search("身份证"))) >= set(by_pinyin[:2])


def test_case_width_and_spaces_do_not_matter(search: CatalogSearch) -> None:
    expected = codes(search.search("gjj"))
    for query in ("GJJ", "ｇｊｊ", "ＧＪＪ", " g j j ", "g\u3000jj"):
        assert codes(search.search(query)) == expected, query
    assert codes(search.search("ｈｊ－００１")) == ["330109-HJ-001"]
    assert codes(search.search("ID Card"))[:2] == ["330109-HJ-001", "330109-HJ-002"]


def test_polyphonic_characters_are_found_by_either_reading(search: CatalogSearch) -> None:
    # pypinyin reads 重名 as zhongming; people say chongming.
    assert codes(search.search("chongming")) == ["330109-HJ-007"]
    assert codes(search.search("zhongming")) == ["330109-HJ-007"]
    assert "330109-HJ-007" in codes(search.search("cmcx"))


def test_empty_and_unmatched_queries(search: CatalogSearch) -> None:
    assert search.search("") == []
    assert search.search("   ") == []
    assert search.search("（）-") == []
    assert search.search("量子计算机") == []
    assert search.search("gjj", limit=0) == []


def test_limit(search: CatalogSearch) -> None:
    assert len(search.search("gjj", limit=3)) == 3


def test_keywords_and_departments_are_searched(search: CatalogSearch) -> None:
    assert "330109-HJ-007" in codes(search.search("起名"))  # a keyword
    found = codes(search.search("两证联办"))
    assert set(found) == {"330109-NY-001", "330109-NY-002", "330109-NY-003", "330109-NY-004"}
    assert "330109-SF-001" in codes(search.search("司法局"))  # the department's name
    assert "330109-GJJ-003" in codes(search.search("退休"))


def test_ranking_exact_then_prefix_then_substring_name_before_keyword() -> None:
    catalog = _tiny_catalog([
        ("T-1", "申请公积金", []),          # substring of the name
        ("T-2", "其他事项", ["公积金"]),    # exact keyword
        ("T-3", "公积金提取", []),          # prefix of the name
        ("T-4", "公积金", []),              # exact name
        ("T-5", "另一事项", ["公积金贷款"]),  # prefix of a keyword
    ])
    search = CatalogSearch(catalog)
    assert codes(search.search("公积金")) == ["T-4", "T-2", "T-3", "T-5", "T-1"]
    assert codes(search.search("gjj")) == ["T-4", "T-2", "T-3", "T-5", "T-1"]


def test_fold_and_pinyin_forms() -> None:
    assert fold("ＡＢＣ １２３（身份证）") == "abc123身份证"
    forms = pinyin_forms("绿色")
    assert forms[0] == "lvse"
    assert "ls" in forms
    assert pinyin_forms("KTV歌厅")[:1] == ["ktvgeting"]


def test_index_is_precomputed(monkeypatch: pytest.MonkeyPatch, catalog: Catalog) -> None:
    search = CatalogSearch(catalog)
    calls: list[str] = []

    def forbidden(*args: object, **kwargs: object) -> list[str]:
        calls.append("pinyin")
        return []

    import kiosk.catalog.search as module

    spy: Callable[..., list[str]] = forbidden
    monkeypatch.setattr(module, "lazy_pinyin", spy)
    monkeypatch.setattr(module, "pinyin", spy)
    assert search.search("gjj")
    assert search.search("公积金提取")
    assert calls == []


def _tiny_catalog(rows: list[tuple[str, str, list[str]]]) -> Catalog:
    text = {"zh_CN": "文", "en": "text"}
    items = [{
        "code": code, "name": {"zh_CN": name, "en": "Item " + code}, "department": "d1",
        "applicant": "individual", "steps": [text], "fee": text, "collect": text,
        "channel": "window_only", "identity": "card", "keywords": keywords,
    } for code, name, keywords in rows]
    return Catalog.model_validate({
        "version": "t", "sample": True,
        "departments": [{"id": "d1", "name": {"zh_CN": "部门", "en": "Dept"}}],
        "items": items,
    })


def test_a_smaller_limit_gives_the_head_of_the_same_ranking(search: CatalogSearch) -> None:
    # The search stops scanning once it has `limit` items; that must not change the order.
    letters = "abcdefghijklmnopqrstuvwxyz"
    queries = [*letters, *(a + b for a in "sgzhjc" for b in "hjxy"), "证", "申请", "公积金"]
    for query in queries:
        everything = codes(search.search(query, limit=1000))
        for limit in (1, 3, 10):
            assert codes(search.search(query, limit=limit)) == everything[:limit], query


def test_every_result_contains_the_query_somewhere(catalog: Catalog,
                                                   search: CatalogSearch) -> None:
    for item in search.search("申请", limit=1000):
        texts = [item.name.zh_CN, *item.keywords, catalog.department(item.department).name.zh_CN,
                 *(e.name.zh_CN for e in catalog.life_events if e.id in item.life_events)]
        assert any("申请" in t for t in texts), item.code


@settings(max_examples=200, deadline=None)
@given(query=st.text(max_size=30), limit=st.integers(min_value=-1, max_value=60))
def test_any_typed_text_is_a_safe_query(query: str, limit: int) -> None:
    found = _sample_search().search(query, limit=limit)
    assert len(found) <= max(limit, 0)
    assert len({i.code for i in found}) == len(found)  # each item once
    assert fold(fold(query)) == fold(query)


@functools.cache
def _sample_search() -> CatalogSearch:
    # Hypothesis runs the test body many times; function-scoped fixtures do not mix with it.
    return CatalogSearch(load_catalog(ROOT / "config" / "catalog"))
