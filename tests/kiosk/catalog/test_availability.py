"""暂停服务: which items can start, given the site, device statuses and the outbox."""

from __future__ import annotations

from typing import Any

import pytest

from devices.base import DeviceState, DeviceStatus, MediaStatus
from kiosk.catalog import ServiceItem
from kiosk.catalog.availability import (
    REASON_NOT_AT_SITE,
    REASON_NOT_READY,
    REASON_OUTBOX,
    REASON_WINDOW_ONLY,
    AvailabilityChecker,
    Status,
)
from kiosk.config.model import SiteProfile
from tests.fakes import StubDevice

READY = DeviceStatus(DeviceState.READY)


def site(**devices: str) -> SiteProfile:
    return SiteProfile.model_validate({
        "id": "test", "kind": "township",
        "name": {"zh_CN": "测试", "en": "Test"},
        "branding": {"logo_text": {"zh_CN": "测试", "en": "Test"}},
        "devices": devices,
    }, strict=False)


def item(devices: list[str], channel: str = "kiosk_intake", identity: str = "card+face",
         **extra: Any) -> ServiceItem:
    return ServiceItem.model_validate({
        "code": "330109-T-001", "name": {"zh_CN": "测试事项", "en": "Test item"},
        "department": "test", "applicant": "individual",
        "steps": [{"zh_CN": "办理", "en": "Apply"}],
        "fee": {"zh_CN": "免费", "en": "Free"}, "collect": {"zh_CN": "窗口", "en": "Window"},
        "channel": channel, "identity": identity, "devices": devices, **extra,
    })


@pytest.fixture
def devices() -> dict[str, StubDevice]:
    return {k: StubDevice(k, READY, name=k) for k in ("idcard", "sscard", "camera", "printer")}


@pytest.fixture
def full_site() -> SiteProfile:
    return site(idcard="required", sscard="optional", camera="required", printer="required",
                doccam="absent")


def test_all_ready_is_available(full_site: SiteProfile, devices: dict[str, StubDevice]) -> None:
    checker = AvailabilityChecker(full_site, devices)
    assert checker.check(item(["idcard", "camera", "printer"])).available


def test_device_not_ready_suspends_with_its_reason(full_site: SiteProfile,
                                                   devices: dict[str, StubDevice]) -> None:
    devices["printer"].force(DeviceStatus(DeviceState.UNAVAILABLE, MediaStatus.EMPTY,
                                          reason="device.reason.paper_out"))
    result = AvailabilityChecker(full_site, devices).check(item(["idcard", "camera", "printer"]))
    assert result.status is Status.SUSPENDED
    assert (result.reason, result.device_kind, result.device_reason) == (
        REASON_NOT_READY, "printer", "device.reason.paper_out")


def test_a_busy_device_is_in_service(full_site: SiteProfile,
                                     devices: dict[str, StubDevice]) -> None:
    """The printer busy with the last citizen's receipt does not suspend the items that
    print (their badges flashed 暂停服务 on the next citizen's list at every receipt)."""
    checker = AvailabilityChecker(full_site, devices)
    for kind in ("printer", "camera", "idcard"):
        devices[kind].force(DeviceStatus(DeviceState.BUSY))
        assert checker.check(item(["idcard", "camera", "printer"])).available, kind


def test_device_absent_at_site(full_site: SiteProfile, devices: dict[str, StubDevice]) -> None:
    result = AvailabilityChecker(full_site, devices).check(item(["idcard", "doccam", "printer"]))
    assert (result.status, result.reason, result.device_kind) == (
        Status.SUSPENDED, REASON_NOT_AT_SITE, "doccam")


def test_device_missing_from_the_set(full_site: SiteProfile,
                                     devices: dict[str, StubDevice]) -> None:
    del devices["idcard"]
    result = AvailabilityChecker(full_site, devices).check(item(["idcard", "printer"]))
    assert result.reason == REASON_NOT_READY and result.device_reason == "device.reason.not_opened"


def test_window_only_never_starts(full_site: SiteProfile) -> None:
    result = AvailabilityChecker(full_site, {}).check(item([], channel="window_only"))
    assert (result.status, result.reason) == (Status.WINDOW_ONLY, REASON_WINDOW_ONLY)


def test_outbox_not_accepting_suspends(full_site: SiteProfile,
                                       devices: dict[str, StubDevice]) -> None:
    checker = AvailabilityChecker(full_site, devices, accepting=lambda: False)
    result = checker.check(item(["idcard", "printer"]))
    assert (result.status, result.reason) == (Status.SUSPENDED, REASON_OUTBOX)


def test_either_card_reader_is_enough(full_site: SiteProfile,
                                      devices: dict[str, StubDevice]) -> None:
    either = item(["idcard", "sscard", "printer"], identity="card_or_sscard")
    checker = AvailabilityChecker(full_site, devices)
    devices["idcard"].force(DeviceStatus(DeviceState.UNAVAILABLE, reason="device.reason.x"))
    assert checker.check(either).available
    devices["sscard"].force(DeviceStatus(DeviceState.UNAVAILABLE, reason="device.reason.y"))
    result = checker.check(either)
    assert result.device_kind == "idcard" and result.device_reason == "device.reason.x"


def test_status_follows_the_device_live(full_site: SiteProfile,
                                        devices: dict[str, StubDevice]) -> None:
    checker = AvailabilityChecker(full_site, devices)
    it = item(["idcard", "printer"])
    devices["idcard"].force(DeviceStatus(DeviceState.UNAVAILABLE))
    assert not checker.check(it).available
    devices["idcard"].force(READY)
    assert checker.check(it).available
