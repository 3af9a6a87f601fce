"""kiosk/wiring/build.py builds the core once from the configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.base import Device
from kiosk.catalog.availability import Status
from kiosk.clock import FakeClock
from kiosk.errors import ConfigError
from kiosk.wiring.build import LazySearch, build_kiosk


def test_builds_the_site_subset_with_both_languages() -> None:
    kiosk = build_kiosk(site_name="bank-branch", clock=FakeClock())
    assert kiosk.site.id == "bank-branch"
    wanted = set(kiosk.site.catalog.departments)
    assert kiosk.catalog.items and {i.department for i in kiosk.catalog.items} <= wanted
    assert set(kiosk.translators) == {"zh_CN", "en"}
    assert kiosk.session.timeout_s == kiosk.site.idle.timeout_s
    assert kiosk.session.warning_s == kiosk.site.idle.warning_s


def test_without_devices_every_kiosk_item_is_suspended() -> None:
    kiosk = build_kiosk(clock=FakeClock())
    for item in kiosk.catalog.items:
        expected = Status.WINDOW_ONLY if item.channel == "window_only" else Status.SUSPENDED
        assert kiosk.check(item).status is expected


def test_devices_are_handed_to_the_session() -> None:
    devices = {"printer": Device("printer")}
    kiosk = build_kiosk(clock=FakeClock(), devices=devices, accepting=lambda: False)
    kiosk.session.touch()
    assert devices["printer"].enabled


def test_search_is_built_lazily_once() -> None:
    built: list[int] = []

    class Fake:
        def search(self, query: str, limit: int = 50) -> list[str]:
            return [query][:limit]

    def factory() -> Fake:
        built.append(1)
        return Fake()

    lazy = LazySearch(factory)
    assert built == []
    lazy.warm()
    assert lazy.search("gjj") == ["gjj"] and built == [1]


def test_search_finds_housing_fund_by_initials() -> None:
    kiosk = build_kiosk(clock=FakeClock())
    kiosk.warm_up().join(timeout=60)
    found = kiosk.find("gjj")
    assert found and all("公积金" in item.name.zh_CN for item in found)


def test_bad_overlay_is_a_config_error(tmp_path: Path) -> None:
    overlay = tmp_path / "o.yaml"
    overlay.write_text("terminal: {site_profile: Bad Name}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        build_kiosk(overlays=[overlay])
    assert str(overlay) in str(err.value) and "terminal.site_profile" in str(err.value)
