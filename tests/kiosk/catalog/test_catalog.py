"""The service catalog (kiosk/catalog): the shipped sample and every load-time rule."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from kiosk.catalog import Catalog, load_catalog
from kiosk.config.model import ROOT, CatalogSubset, load_config, load_site
from kiosk.errors import ConfigError

SAMPLE_DIR = ROOT / "config" / "catalog"


@pytest.fixture(scope="module")
def sample() -> Catalog:
    return load_catalog(SAMPLE_DIR)


# --------------------------------------------------------------------------- the sample


def test_sample_catalog_is_big_enough_and_marked_sample(sample: Catalog) -> None:
    assert sample.sample is True
    assert sample.version
    assert len(sample.items) >= 30
    assert len({i.department for i in sample.items}) >= 8
    header = (SAMPLE_DIR / "catalog.yaml").read_text(encoding="utf-8")
    assert "SAMPLE DATA until synced from the back office" in header


def test_site_profiles_departments_exist(sample: Catalog) -> None:
    config = load_config()
    for site_name in ("township", "bank-branch"):
        site = load_site(config, site_name)
        offered = sample.subset(site.catalog, source=site_name)
        assert offered.items, site_name
    for dept in ("public-security", "housing-fund", "justice", "civil-affairs"):
        assert sample.by_department(dept), dept


def test_sample_covers_what_the_briefings_name(sample: Catalog) -> None:
    names = " ".join(i.name.zh_CN for i in sample.items)
    for word in ("居民身份证换领", "居民身份证补领", "户口簿申领", "户口簿换领", "户口簿补领",
                 "户主变更", "新生儿重名查询", "姓名变更", "出生日期更正", "法律援助",
                 "婚姻登记证", "异地查档", "危险化学品经营许可", "烟花爆竹经营",
                 "应急预案备案", "中医诊所备案", "取水许可", "涉河涉堤", "兽医执业注册",
                 "动物诊疗许可", "林木采伐", "缴存明细"):
        assert word in names, word
    grounds = [i for i in sample.by_department("housing-fund") if "提取" in i.name.zh_CN]
    assert len(grounds) >= 5
    assert all(i.tongban for i in sample.by_department("public-security"))
    bundles = {b.name.zh_CN for b in sample.bundles}
    assert any("林地占用" in n and "林木采伐" in n for n in bundles)
    assert any("兽医执业注册" in n and "动物诊疗许可" in n for n in bundles)


def test_sample_uses_every_channel_and_material_kind(sample: Catalog) -> None:
    channels = {i.channel for i in sample.items}
    assert channels == {"kiosk_complete", "kiosk_intake", "window_only"}
    assert sample.item("330109-GJJ-007").channel == "kiosk_complete"
    assert sample.item("330109-HJ-007").channel == "kiosk_complete"
    materials = [m for i in sample.items for m in i.materials]
    assert any(m.deferrable and m.supplement_days for m in materials)
    assert any(m.exempt_by_sharing for m in materials)
    assert any(f.prefill == "card.address" for i in sample.items for f in i.form)


def test_bundle_lists_shared_materials_once(sample: Catalog) -> None:
    bundle = sample.bundle("330109-NY-B01")
    codes = [m.code for m in bundle.materials(sample)]
    assert len(codes) == len(set(codes))
    each = [m.code for c in bundle.items for m in sample.item(c).materials]
    assert each.count("BIZ-LICENSE") == 2 and each.count("FOREST-RIGHTS") == 2
    assert set(codes) == set(each)


def test_lookups(sample: Catalog) -> None:
    item = sample.item("330109-HJ-001")
    assert item.department == "public-security"
    assert sample.department("housing-fund").name.en.startswith("Housing")
    assert item in sample.by_life_event("identity-documents")
    assert all(i.department == "justice" for i in sample.by_department("justice"))
    assert sample.bundles_of("330109-NY-001")[0].code == "330109-NY-B01"
    assert sample.has_item("330109-HJ-001") and not sample.has_item("NOPE")
    with pytest.raises(KeyError):
        sample.item("NOPE")


def test_subset_by_department_item_and_exclude(sample: Catalog) -> None:
    sub = sample.subset(CatalogSubset(departments=["agriculture"], items=["330109-HJ-007"],
                                      exclude=["330109-NY-002"]))
    codes = {i.code for i in sub.items}
    assert "330109-HJ-007" in codes and "330109-NY-001" in codes
    assert "330109-NY-002" not in codes
    # A bundle stays only when every one of its items stays.
    assert [b.code for b in sub.bundles] == ["330109-NY-B02"]
    assert {d.id for d in sub.departments} == {"agriculture", "public-security"}
    assert len(sample.subset(CatalogSubset()).items) == len(sample.items)


def test_subset_by_bundle_code_brings_its_items(sample: Catalog) -> None:
    sub = sample.subset(CatalogSubset(items=["330109-NY-B01"]))
    assert {i.code for i in sub.items} == {"330109-NY-001", "330109-NY-002"}
    assert [b.code for b in sub.bundles] == ["330109-NY-B01"]


def test_subset_refuses_unknown_codes(sample: Catalog) -> None:
    with pytest.raises(ConfigError) as info:
        sample.subset(CatalogSubset(departments=["nope"]), source="config/sites/x.yaml")
    assert (info.value.file, info.value.key_path) == ("config/sites/x.yaml",
                                                     "catalog.departments.0")
    with pytest.raises(ConfigError) as info:
        sample.subset(CatalogSubset(exclude=["330109-HJ-001", "XX-1"]))
    assert info.value.key_path == "catalog.exclude.1"


# --------------------------------------------------------------------------- load-time rules

ITEM: dict[str, Any] = {
    "code": "T-001",
    "name": {"zh_CN": "测试事项", "en": "Test item"},
    "department": "d1",
    "applicant": "individual",
    "life_events": ["birth"],
    "materials": [
        {"code": "M-A", "name": {"zh_CN": "甲", "en": "A"}, "form": "original"},
        {"code": "M-B", "name": {"zh_CN": "乙", "en": "B"}, "form": "copy",
         "deferrable": True, "supplement_days": 10},
    ],
    "steps": [{"zh_CN": "一", "en": "one"}],
    "fee": {"zh_CN": "免费", "en": "Free"},
    "collect": {"zh_CN": "窗口", "en": "Window"},
    "channel": "kiosk_intake",
    "identity": "card+face",
    "form": [{"name": "addr", "label": {"zh_CN": "地址", "en": "Address"}, "type": "text",
              "prefill": "card.address"}],
    "devices": ["idcard", "camera", "doccam", "printer"],
}


def write_catalog(root: Path, items: list[dict[str, Any]] | None = None,
                  bundles: list[dict[str, Any]] | None = None,
                  extra: dict[str, Any] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "catalog.yaml").write_text("version: t1\nsample: true\n", encoding="utf-8")
    base = {
        "departments": [{"id": "d1", "name": {"zh_CN": "部门", "en": "Dept"}}],
        "life_events": [{"id": "birth", "name": {"zh_CN": "出生", "en": "Birth"}}],
    }
    (root / "base.yaml").write_text(yaml.safe_dump(base, allow_unicode=True), encoding="utf-8")
    part: dict[str, Any] = {"items": items if items is not None else [copy.deepcopy(ITEM)]}
    if bundles is not None:
        part["bundles"] = bundles
    part.update(extra or {})
    (root / "items.yaml").write_text(yaml.safe_dump(part, allow_unicode=True), encoding="utf-8")
    return root


def item(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(ITEM)
    data.update(changes)
    return data


def material(index: int, **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(ITEM)
    data["materials"][index].update(changes)
    return data


def field(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(ITEM)
    data["form"][0].update(changes)
    return data


def load_error(tmp_path: Path, **kwargs: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_catalog(write_catalog(tmp_path / "cat", **kwargs))
    return info.value


def test_minimal_catalog_loads_and_ignores_x_keys(tmp_path: Path) -> None:
    cat = load_catalog(write_catalog(tmp_path, extra={"x-anchor": {"anything": 1}}))
    assert [i.code for i in cat.items] == ["T-001"]
    assert cat.item("T-001").materials[1].supplement_days == 10


@pytest.mark.parametrize(("items", "key", "words"), [
    ([item(department="nope")], "items.0.department", "unknown department"),
    ([item(life_events=["nope"])], "items.0.life_events.0", "unknown life event"),
    ([material(1, supplement_days=None)], "items.0.materials.1.supplement_days",
     "required when deferrable"),
    ([material(1, required=False)], "items.0.materials.1.required",
     "material M-B is deferrable (容缺) but not required"),
    ([material(0, supplement_days=5)], "items.0.materials.0.supplement_days",
     "only allowed when deferrable"),
    ([material(0, exempt_by_sharing=True)], "items.0.materials.0.capture", "capture: none"),
    ([material(1, code="M-A")], "items.0.materials.1.code", "duplicate material code"),
    ([field(prefill="card.shoe_size")], "items.0.form.0.prefill", "unknown prefill source"),
    ([field(prefill="card.birth")], "items.0.form.0.prefill", "cannot fill a text field"),
    ([field(type="choice")], "items.0.form.0.choices", "needs at least one choice"),
    ([field(pattern="([a-z")], "items.0.form.0.pattern", "not a regular expression"),
    ([field(min_length=5, max_length=2)], "items.0.form.0.min_length", "max_length"),
    ([item(devices=["idcard", "camera", "printer"])], "items.0.devices", "'doccam'"),
    ([item(devices=["idcard", "doccam", "printer"])], "items.0.devices", "'camera'"),
    ([item(devices=["idcard", "camera", "doccam"])], "items.0.devices", "'printer'"),
    ([item(identity="card_or_sscard", devices=["camera", "doccam", "printer"])],
     "items.0.devices", "'idcard' or 'sscard'"),
    ([item(devices=["idcard", "camera", "doccam", "printer", "camera"])], "items.0.devices",
     "listed twice"),
    ([item(legal_days=5, promised_days=10)], "items.0.promised_days", "legal limit"),
    ([item(), item()], "items.1.code", "duplicate item code"),
    ([item(colour="red")], "items.0.colour", "unknown key"),
    ([item(legal_days="five")], "items.0.legal_days", "integer"),
    ([item(channel="fax")], "items.0.channel", "fax"),
    ([{k: v for k, v in ITEM.items() if k != "fee"}], "items.0.fee", "missing"),
    ([item(name={"zh_CN": "只有中文"})], "items.0.name.en", "missing"),
    ([item(steps=[{"zh_CN": "一", "en": "one"},
                  {"zh_CN": "法定代表人或经办人刷身份证", "en": "The representative"}])],
     "items.0.steps.1", "applicant is an individual"),
])
def test_bad_items_name_file_and_key_path(tmp_path: Path, items: list[dict[str, Any]],
                                          key: str, words: str) -> None:
    err = load_error(tmp_path, items=items)
    assert Path(err.file).name == "items.yaml"
    assert err.key_path == key
    assert words in err.problem
    assert str(err).startswith(f"{err.file}: {key}: ")


def test_window_only_items_need_no_devices(tmp_path: Path) -> None:
    cat = load_catalog(write_catalog(tmp_path, items=[item(channel="window_only", devices=[])]))
    assert cat.item("T-001").devices == []


BUNDLE: dict[str, Any] = {
    "code": "B-001", "name": {"zh_CN": "联办", "en": "Together"},
    "items": ["T-001", "T-002"], "departments": ["d1"],
    "description": {"zh_CN": "说明", "en": "About"},
}


@pytest.mark.parametrize(("changes", "key", "words"), [
    ({"items": ["T-001", "T-404"]}, "bundles.0.items.1", "unknown item code"),
    ({"items": ["T-001", "T-001"]}, "bundles.0.items.1", "listed twice"),
    ({"departments": ["d9"]}, "bundles.0.departments.0", "unknown department"),
    ({"code": "T-002"}, "bundles.0.code", "already an item code"),
    ({"items": ["T-001"]}, "bundles.0.items", "at least 2"),
])
def test_bad_bundles(tmp_path: Path, changes: dict[str, Any], key: str, words: str) -> None:
    err = load_error(tmp_path, items=[item(), item(code="T-002")],
                     bundles=[{**BUNDLE, **changes}])
    assert (Path(err.file).name, err.key_path) == ("items.yaml", key)
    assert words in err.problem


def test_bundle_materials_prefer_the_stricter_declaration(tmp_path: Path) -> None:
    second = item(code="T-002")
    # T-002 needs M-B today; T-001 lets it come later: the bundle must ask for it today.
    second["materials"][1] = {"code": "M-B", "name": {"zh_CN": "乙", "en": "B"},
                              "form": "copy"}
    cat = load_catalog(write_catalog(tmp_path, items=[item(), second], bundles=[BUNDLE]))
    merged = {m.code: m for m in cat.bundle("B-001").materials(cat)}
    assert list(merged) == ["M-A", "M-B"]
    assert merged["M-B"].required and not merged["M-B"].deferrable


def test_duplicate_across_files_names_both(tmp_path: Path) -> None:
    root = write_catalog(tmp_path)
    (root / "more.yaml").write_text(yaml.safe_dump({"items": [ITEM]}, allow_unicode=True),
                                    encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_catalog(root)
    # Files load in name order, so the later file (more.yaml) is blamed and names the first.
    assert Path(info.value.file).name == "more.yaml"
    assert "items.yaml" in info.value.problem


def test_header_problems(tmp_path: Path) -> None:
    root = write_catalog(tmp_path)
    (root / "catalog.yaml").write_text("version: t1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_catalog(root)
    assert (Path(info.value.file).name, info.value.key_path) == ("catalog.yaml", "sample")
    (root / "catalog.yaml").unlink()
    with pytest.raises(ConfigError, match="file not found"):
        load_catalog(root)
    with pytest.raises(ConfigError, match="catalog directory not found"):
        load_catalog(tmp_path / "nowhere")


def test_yml_files_are_not_silently_ignored(tmp_path: Path) -> None:
    root = write_catalog(tmp_path)
    (root / "extra.yml").write_text("items: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"must end in \.yaml"):
        load_catalog(root)


def test_version_only_in_header(tmp_path: Path) -> None:
    err = load_error(tmp_path, extra={"version": "x"})
    assert (Path(err.file).name, err.key_path) == ("items.yaml", "version")


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    root = write_catalog(tmp_path)
    (root / "items.yaml").write_text("items:\n  - code: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_catalog(root)
    assert info.value.key_path.startswith("line ")
    assert "YAML syntax error" in info.value.problem


# ----------------------------------------------------------------------- with kiosk.catalog.forms

#: A valid answer per field type, and per field name where the field has a pattern.
ANSWERS: dict[str, object] = {
    "text": "测试", "textarea": "测试内容", "phone": "13800000000",
    "id_number": "11010519491231002X", "date": "2020-01-01", "bool": True,
    "bank_account": "6222021234567890123", "credit_code": "91330109MA2B3C4D5E",
}


def test_every_sample_form_validates_with_kiosk_forms(sample: Catalog) -> None:
    from datetime import date

    from kiosk.catalog.forms import form_errors

    for item in sample.items:
        values: dict[str, object] = {}
        for f in item.form:
            if f.type == "choice":
                values[f.name] = f.choices[0].value
            elif f.type == "number":
                values[f.name] = str(f.min if f.min is not None else 1)
            else:
                values[f.name] = ANSWERS.get(f.name, ANSWERS[f.type])
        _, errors = form_errors(item.form, values, today=date(2026, 11, 22))
        assert [(e.field, e.i18n_key) for e in errors] == [], item.code
        _, empty = form_errors(item.form, {}, today=date(2026, 11, 22))
        assert {e.field for e in empty} == {f.name for f in item.form if f.required}, item.code


def test_organisation_roles_are_fine_in_an_organisation_s_steps(tmp_path: Path) -> None:
    steps = [{"zh_CN": "法定代表人或经办人刷身份证", "en": "The representative verifies"}]
    cat = load_catalog(write_catalog(tmp_path, items=[item(applicant="legal_person",
                                                           steps=steps)]))
    assert cat.item("T-001").steps[0].zh_CN.startswith("法定代表人")


def test_an_individual_s_steps_speak_to_the_individual(sample: Catalog) -> None:
    vet = sample.item("330109-NY-003")
    assert vet.applicant == "individual"
    text = "".join(s.zh_CN for s in vet.steps)
    for word in ("法定代表人", "经办人", "现场勘查"):
        assert word not in text


def test_every_shipped_deferrable_material_is_required(sample: Catalog) -> None:
    deferrable = [(i.code, m) for i in sample.items for m in i.materials if m.deferrable]
    assert len(deferrable) >= 10
    assert all(m.required and m.supplement_days for _, m in deferrable)
    codes = {(code, m.code) for code, m in deferrable}
    assert {("330109-GJJ-005", "INSURANCE-SETTLEMENT"), ("330109-NY-004", "EQUIPMENT-LIST"),
            ("330109-NY-004", "CLINIC-RULES")} <= codes


def test_deferrable_but_optional_is_one_line_naming_file_and_material(tmp_path: Path) -> None:
    message = str(load_error(tmp_path, items=[material(1, required=False)]))
    assert "\n" not in message
    assert message.startswith(str(tmp_path / "cat" / "items.yaml"))
    assert "M-B" in message
