"""Configuration loading (kiosk/config/): every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.base import Presence
from kiosk.catalog import load_catalog
from kiosk.config.model import ROOT, KioskConfig, SiteProfile, load_config, load_site
from kiosk.errors import ConfigError

MINIMAL = "terminal:\n  id: XS-TEST-0001\n  ref_prefix: XT\n  site_profile: township\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def config_error(path: Path, *overlays: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(path, overlays)
    return info.value


# --------------------------------------------------------------------------- shipped files


def test_shipped_kiosk_yaml_loads() -> None:
    config = load_config()
    assert isinstance(config, KioskConfig)
    assert config.terminal.site_profile == "township"
    assert config.devices.printer.port == 9100


@pytest.mark.parametrize("name", ["township", "bank-branch"])
def test_shipped_site_profiles_load(name: str) -> None:
    site = load_site(load_config(), name)
    assert isinstance(site, SiteProfile)
    assert site.id == name
    assert site.presence("idcard") is Presence.REQUIRED
    assert site.idle.warning_s >= 20
    assert set(site.languages) == {"zh_CN", "en"}


def test_every_shipped_site_file_loads() -> None:
    config = load_config()
    names = sorted(p.stem for p in (ROOT / "config" / "sites").glob("*.yaml"))
    assert {"township", "bank-branch"} <= set(names)
    for name in names:
        assert load_site(config, name).id == name


def test_site_resolution_and_presence_default() -> None:
    bank = load_site(load_config(), "bank-branch")
    assert bank.resolution == (1080, 1920)
    assert bank.presence("no-such-kind") is Presence.ABSENT


def test_every_site_that_asks_for_pages_can_capture_them() -> None:
    """Pages are captured by the scanner kind (driver doccam: the document camera, or a
    flatbed): a site that offers items with pages to capture must not mark it absent
    (the bank branch once did, and no page could ever be taken there)."""
    config = load_config()
    catalog = load_catalog(ROOT / "config" / "catalog")
    for path in sorted((ROOT / "config" / "sites").glob("*.yaml")):
        site = load_site(config, path.stem)
        offered = catalog.subset(site.catalog, source=str(path))
        capturing = [i.code for i in offered.items
                     if any(m.capture != "none" for m in i.materials)]
        if capturing:
            assert site.presence("scanner") is not Presence.ABSENT, (site.id, capturing[:3])


def test_config_objects_are_frozen() -> None:
    config = load_config()
    with pytest.raises(Exception, match="frozen"):
        config.terminal.id = "X"  # type: ignore[misc]


# --------------------------------------------------------------------------- bad kiosk.yaml


def test_missing_file(tmp_path: Path) -> None:
    err = config_error(tmp_path / "nope.yaml")
    assert err.file.endswith("nope.yaml")
    assert err.problem == "file not found"


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "k.yaml", MINIMAL + "devices:\n  printer: {port: 9100\n")
    err = config_error(path)
    assert err.file == str(path)
    assert err.key_path.startswith("line ")
    assert "column" in err.key_path
    assert "YAML syntax error" in err.problem


def test_yaml_syntax_error_line_number_is_the_broken_line(tmp_path: Path) -> None:
    # A tab indent on line 6 (YAML forbids tabs for indentation).
    path = write(tmp_path / "k.yaml", MINIMAL + "devices:\n\tprinter: {}\n")
    err = config_error(path)
    assert err.key_path == "line 6, column 1"


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    err = config_error(write(tmp_path / "k.yaml", "- a\n- b\n"))
    assert err.problem == "expected a mapping at the top, got a list"
    err = config_error(write(tmp_path / "s.yaml", "just text\n"))
    assert "got text" in err.problem


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    path.write_bytes(MINIMAL.encode() + "  # 注释\n".encode("gb18030"))
    assert "not UTF-8" in config_error(path).problem


def test_empty_file_is_missing_required_values(tmp_path: Path) -> None:
    err = config_error(write(tmp_path / "k.yaml", ""))
    assert (err.key_path, err.problem) == ("terminal", "required value is missing")


def test_unknown_key(tmp_path: Path) -> None:
    err = config_error(write(tmp_path / "k.yaml", MINIMAL + "  colour: red\n"))
    assert err.key_path == "terminal.colour"
    assert err.problem.startswith("unknown key")


def test_unknown_nested_key_names_the_full_path(tmp_path: Path) -> None:
    err = config_error(write(tmp_path / "k.yaml", MINIMAL + "devices:\n  printer:\n"
                             "    prot: 9100\n"))
    assert err.key_path == "devices.printer.prot"


def test_wrong_type(tmp_path: Path) -> None:
    err = config_error(write(tmp_path / "k.yaml", MINIMAL + "devices:\n  printer:\n"
                             "    port: ninety\n"))
    assert err.key_path == "devices.printer.port"
    assert "integer" in err.problem and "'ninety'" in err.problem


def test_no_silent_coercion(tmp_path: Path) -> None:
    # Strict: a quoted number is text, not a port.
    err = config_error(write(tmp_path / "k.yaml", MINIMAL + "devices:\n  printer:\n"
                             "    port: '9100'\n"))
    assert err.key_path == "devices.printer.port"


def test_value_out_of_range_and_bad_choice(tmp_path: Path) -> None:
    err = config_error(write(tmp_path / "k.yaml", MINIMAL + "face:\n  threshold: 1.5\n"))
    assert err.key_path == "face.threshold" and "less than 1" in err.problem
    err = config_error(write(tmp_path / "l.yaml", MINIMAL + "devices:\n  printer:\n"
                             "    driver: bluetooth\n"))
    assert err.key_path == "devices.printer.driver" and "bluetooth" in err.problem


def test_missing_required_value(tmp_path: Path) -> None:
    text = "terminal:\n  id: XS-TEST-0001\n  site_profile: township\n"
    err = config_error(write(tmp_path / "k.yaml", text))
    assert (err.key_path, err.problem) == ("terminal.ref_prefix", "required value is missing")


def test_bad_pattern(tmp_path: Path) -> None:
    err = config_error(write(tmp_path / "k.yaml", MINIMAL.replace("XT", "toolong!")))
    assert err.key_path == "terminal.ref_prefix"
    assert "pattern" in err.problem


def test_message_is_one_line_naming_file_key_and_problem(tmp_path: Path) -> None:
    path = write(tmp_path / "k.yaml", MINIMAL + "  colour: red\n")
    message = str(config_error(path))
    assert message.startswith(f"{path}: terminal.colour: unknown key")
    assert "\n" not in message


# --------------------------------------------------------------------------- layering


def test_overlay_overrides_key_by_key(tmp_path: Path) -> None:
    base = write(tmp_path / "kiosk.yaml", MINIMAL + "devices:\n  printer:\n    port: 9100\n")
    overlay = write(tmp_path / "local.yaml", "devices:\n  printer:\n    port: 9200\n")
    config = load_config(base, (overlay,))
    assert config.devices.printer.port == 9200
    assert config.terminal.id == "XS-TEST-0001"  # untouched keys come from the base


def test_error_in_overlay_blames_the_overlay(tmp_path: Path) -> None:
    base = write(tmp_path / "kiosk.yaml", MINIMAL)
    overlay = write(tmp_path / "local.yaml", "devices:\n  printer:\n    port: ninety\n")
    err = config_error(base, overlay)
    assert err.file == str(overlay)
    assert err.key_path == "devices.printer.port"
    unknown = write(tmp_path / "local2.yaml", "outbox:\n  pth: x\n")
    assert config_error(base, unknown).file == str(unknown)


def test_error_in_base_blames_the_base_even_with_an_overlay(tmp_path: Path) -> None:
    base = write(tmp_path / "kiosk.yaml", MINIMAL + "face:\n  max_attempts: 0\n")
    overlay = write(tmp_path / "local.yaml", "devices:\n  printer:\n    port: 9200\n")
    err = config_error(base, overlay)
    assert (err.file, err.key_path) == (str(base), "face.max_attempts")


def test_missing_overlay(tmp_path: Path) -> None:
    base = write(tmp_path / "kiosk.yaml", MINIMAL)
    err = config_error(base, tmp_path / "absent.yaml")
    assert err.file.endswith("absent.yaml") and err.problem == "file not found"


# --------------------------------------------------------------------------- site profiles

SITE = """\
schema_version: 1
id: {id}
kind: township
name: {{zh_CN: 测试, en: Test}}
branding:
  primary: "{primary}"
  logo_text: {{zh_CN: 测试, en: Test}}
devices: {{idcard: required, printer: required}}
idle: {{timeout_s: {timeout}, warning_s: {warning}}}
languages: [zh_CN, en]
"""


def site_setup(tmp_path: Path, name: str = "test-site", *, id_: str | None = None,
               primary: str = "#1F5FAF", timeout: int = 120, warning: int = 30,
               extra: str = "") -> KioskConfig:
    sites = tmp_path / "sites"
    write(sites / f"{name}.yaml", SITE.format(id=id_ or name, primary=primary,
                                              timeout=timeout, warning=warning) + extra)
    path = write(tmp_path / "kiosk.yaml", MINIMAL + f"sites_dir: {sites}\n")
    return load_config(path)


def site_error(config: KioskConfig, name: str = "test-site") -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_site(config, name)
    return info.value


def test_good_site_loads_with_enum_presence(tmp_path: Path) -> None:
    site = load_site(site_setup(tmp_path), "test-site")
    assert site.presence("printer") is Presence.REQUIRED
    assert site.presence("camera") is Presence.ABSENT


def test_bad_colour(tmp_path: Path) -> None:
    err = site_error(site_setup(tmp_path, primary="#12345"))
    assert err.file.endswith("test-site.yaml")
    assert err.key_path == "branding.primary"
    assert "pattern" in err.problem
    err = site_error(site_setup(tmp_path, primary="blue"))
    assert err.key_path == "branding.primary"


def test_warning_not_shorter_than_timeout(tmp_path: Path) -> None:
    err = site_error(site_setup(tmp_path, timeout=60, warning=60))
    assert err.key_path == "idle"
    assert "warning_s must be shorter than timeout_s" in err.problem


def test_warning_too_short_for_wcag(tmp_path: Path) -> None:
    err = site_error(site_setup(tmp_path, warning=10))
    assert err.key_path == "idle.warning_s"


def test_site_id_must_match_file_name(tmp_path: Path) -> None:
    err = site_error(site_setup(tmp_path, id_="other-site"))
    assert err.file.endswith("test-site.yaml")
    assert err.key_path == "id"
    assert "must match the file name 'test-site'" in err.problem


def test_unknown_site(tmp_path: Path) -> None:
    err = site_error(site_setup(tmp_path), "atlantis")
    assert err.file.endswith("atlantis.yaml")
    assert "no such site profile 'atlantis'" in err.problem
    assert "available: test-site" in err.problem


def test_site_unknown_device_kind_and_presence(tmp_path: Path) -> None:
    config = site_setup(tmp_path)
    sites = tmp_path / "sites" / "test-site.yaml"
    sites.write_text(sites.read_text(encoding="utf-8").replace(
        "idcard: required", "fax: required"), encoding="utf-8")
    assert site_error(config).key_path == "devices.fax.[key]"
    sites.write_text(sites.read_text(encoding="utf-8").replace(
        "fax: required", "idcard: mandatory"), encoding="utf-8")
    err = site_error(config)
    assert err.key_path == "devices.idcard" and "mandatory" in err.problem


def test_default_language_must_be_offered(tmp_path: Path) -> None:
    config = site_setup(tmp_path, extra="default_language: en\n")
    path = tmp_path / "sites" / "test-site.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "languages: [zh_CN, en]", "languages: [zh_CN]"), encoding="utf-8")
    assert "default_language must be one of languages" in site_error(config).problem


# --------------------------------------------------------------------------- back-office URL


@pytest.mark.parametrize("url", ["http://backoffice.xs.example/api", "http://10.0.0.5:8000",
                                 "http://127.0.0.1.evil.example", "ftp://127.0.0.1/",
                                 "https://"])
def test_backoffice_url_must_be_https_unless_loopback(tmp_path: Path, url: str) -> None:
    err = config_error(write(tmp_path / "k.yaml", MINIMAL + f"backoffice:\n  url: {url}\n"))
    assert err.key_path == "backoffice.url"
    assert "https://" in err.problem


@pytest.mark.parametrize("url", ["", "https://backoffice.xs.example", "http://127.0.0.1:8000",
                                 "http://localhost:8000/", "http://[::1]:8000", "http://127.3.4.5"])
def test_backoffice_url_https_or_loopback_loads(tmp_path: Path, url: str) -> None:
    config = load_config(write(tmp_path / "k.yaml", MINIMAL + f"backoffice:\n  url: '{url}'\n"))
    assert config.backoffice.url == url
