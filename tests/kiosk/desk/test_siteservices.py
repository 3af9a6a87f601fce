"""What each site offers, and how it is said: windows, the nearest hall, suspension
reasons a citizen can act on, and the one-time checklist to print."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.catalog import Catalog, load_catalog
from kiosk.catalog.availability import (
    REASON_NOT_READY,
    REASON_WINDOW_ONLY,
    Availability,
    Status,
)
from kiosk.config.model import SiteProfile, load_config, load_site
from kiosk.desk.siteservices import checklist_input, explain, window_for
from kiosk.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(ROOT / "config" / "catalog")


def site(name: str) -> SiteProfile:
    return load_site(load_config(), name)


def test_a_township_has_a_window_per_department_and_a_bank_only_its_desk(
        catalog: Catalog) -> None:
    item = next(i for i in catalog.items if i.department == "housing-fund")
    township = window_for(site("township"), catalog, item)
    assert township is not None and township.id == "housing-fund"
    assert window_for(site("bank-branch"), catalog, item) is None


def test_suspension_at_a_bank_names_the_hall_and_hides_internal_reasons(
        catalog: Catalog) -> None:
    bank = site("bank-branch")
    item = next(i for i in catalog.items if "printer" in i.devices)
    why = explain(Availability(Status.SUSPENDED, REASON_NOT_READY, "printer",
                               "device.reason.not_opened"), item, bank, catalog)
    assert why is not None
    assert why.key == "availability.reason.not_ready_hall"
    assert why.hall == bank.services.nearest_hall and why.device_reason is None
    paper = explain(Availability(Status.SUSPENDED, REASON_NOT_READY, "printer",
                                 "device.reason.paper_out"), item, bank, catalog)
    assert paper is not None and paper.device_reason == "device.reason.paper_out"


def test_a_township_still_sends_to_its_window(catalog: Catalog) -> None:
    item = next(i for i in catalog.items if i.channel == "window_only")
    why = explain(Availability(Status.WINDOW_ONLY, REASON_WINDOW_ONLY), item,
                  site("township"), catalog)
    assert why is not None and why.key == REASON_WINDOW_ONLY and why.hall is None


def test_the_checklist_lists_what_to_bring_and_where(catalog: Catalog) -> None:
    item = next(i for i in catalog.items if i.channel == "window_only")
    now = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    data = checklist_input(item, site("township"), catalog, "zh_CN", now)
    assert [m.name for m in data.materials] == [
        m.name.zh_CN for m in item.materials if not m.exempt_by_sharing]
    assert catalog.department(item.department).name.zh_CN in data.place
    at_bank = checklist_input(item, site("bank-branch"), catalog, "en", now)
    hall = site("bank-branch").services.nearest_hall
    assert hall is not None and at_bank.place == hall.en


def test_window_ids_must_be_unique(tmp_path: Path) -> None:
    bank = site("bank-branch").model_dump(mode="json")
    window = {"id": "desk", "name": {"zh_CN": "服务台", "en": "Desk"}}
    bank["services"]["windows"] = [window, window]
    with pytest.raises((ConfigError, ValueError)):
        SiteProfile.model_validate(bank)
