"""kiosk/wiring/devices.py: every kind from config + site; what cannot work is UNAVAILABLE
with a reason key (never an exception); absent kinds are left out; the scanner shares
the document camera."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from devices.base import DeviceState, Presence
from devices.camera.base import Camera
from devices.scanner.doccam import DocCamScanner
from kiosk.clock import SystemClock
from kiosk.config.model import KioskConfig, SiteProfile, load_config, load_site
from kiosk.i18n.translate import Translator
from kiosk.wiring.devices import (
    KINDS,
    REASON_LIBRARY,
    REASON_NOT_CONFIGURED,
    DeviceSet,
    UnavailableDevice,
    build_device_map,
    build_devices,
)

NONE_DRIVERS = {k: {"driver": "none"} for k in KINDS}


def config_with(tmp_path: Path, devices: dict[str, Any]) -> KioskConfig:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(yaml.safe_dump({"devices": devices}))
    return load_config(overlays=(overlay,))


def site_with(config: KioskConfig, **presence: str) -> SiteProfile:
    site = load_site(config, "township")
    devices = {**site.devices, **{k: Presence(v) for k, v in presence.items()}}
    return site.model_copy(update={"devices": devices})


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once closed


def test_driver_none_everywhere_gives_unavailable_not_configured(tmp_path: Path) -> None:
    config = config_with(tmp_path, NONE_DRIVERS)
    with build_devices(config, site_with(config), clock=SystemClock()) as devices:
        assert isinstance(devices, DeviceSet)
        assert set(devices) == set(KINDS)
        devices.open_all(settle_s=1.0)
        for kind, status in devices.statuses().items():
            assert status.state is DeviceState.UNAVAILABLE, kind
            assert status.reason == REASON_NOT_CONFIGURED, kind
        assert devices.unavailable() == dict.fromkeys(KINDS, REASON_NOT_CONFIGURED)
        diag = devices.diagnostics()
        assert diag["printer"]["kind"] == "printer"
        assert diag["scanner"]["status"]["reason"] == REASON_NOT_CONFIGURED


def test_absent_kinds_are_left_out(tmp_path: Path) -> None:
    config = config_with(tmp_path, NONE_DRIVERS)
    site = site_with(config, sscard="absent", scanner="absent", doccam="absent")
    devices = build_devices(config, site, clock=SystemClock())
    assert sorted(devices) == ["camera", "codescanner", "idcard", "printer"]
    assert "scanner" not in devices and devices.get("sscard") is None


def test_missing_ports_are_device_states_with_reasons(tmp_path: Path) -> None:
    config = config_with(tmp_path, {
        **NONE_DRIVERS,
        "idcard": {"driver": "sam-serial", "port": str(tmp_path / "no-such-tty")},
        "printer": {"driver": "network", "host": "127.0.0.1", "port": closed_port(),
                    "timeout_s": 1},
        "camera": {"driver": "opencv", "source": str(tmp_path / "no-such-video.mp4")},
    })
    with build_devices(config, site_with(config), clock=SystemClock()) as devices:
        devices.open_all(settle_s=5.0)
        st = devices.statuses()
    assert st["idcard"].state is DeviceState.UNAVAILABLE
    assert st["idcard"].reason == "device.reason.idcard_unplugged"
    assert st["printer"].state is DeviceState.UNAVAILABLE
    assert st["printer"].reason == "device.reason.disconnected"
    assert st["camera"].state is DeviceState.UNAVAILABLE
    assert st["camera"].reason == "device.reason.camera_unplugged"


def test_missing_libraries_are_unavailable_not_crashes(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes the import fail as if the package were not installed.
    for module in ("devices.sscard.pcsc", "devices.printer.drivers",
                   "devices.idcard.factory", "devices.camera.factory"):
        monkeypatch.setitem(sys.modules, module, None)
    config = load_config()
    with build_devices(config, site_with(config), clock=SystemClock()) as devices:
        devices.open_all(settle_s=1.0)
        for kind in ("idcard", "sscard", "printer", "camera", "doccam"):
            assert isinstance(devices[kind], UnavailableDevice), kind
            assert devices[kind].status.reason == REASON_LIBRARY, kind
            assert "halted" in devices[kind].status.detail  # the import error, for technicians
        # The doccam scanner has no camera: unavailable for the camera's reason.
        assert devices["scanner"].status.reason == REASON_LIBRARY


def test_every_reason_the_factory_gives_is_translated() -> None:
    for lang in ("zh_CN", "en"):
        tr = Translator(lang)
        for key in (REASON_NOT_CONFIGURED, REASON_LIBRARY, "device.reason.not_opened"):
            assert tr.has(key), (lang, key)


def test_scanner_shares_the_document_camera_and_opens_it_once(tmp_path: Path) -> None:
    scenes = tmp_path / "doc"
    scenes.mkdir()
    config = config_with(tmp_path, {
        **NONE_DRIVERS,
        "doccam": {"driver": "opencv", "source": f"sim:dir:{scenes}", "width": 320,
                   "height": 240, "fps": 10},
        "scanner": {"driver": "doccam"},
    })
    with build_devices(config, site_with(config), clock=SystemClock()) as devices:
        camera, scanner = devices["doccam"], devices["scanner"]
        assert isinstance(camera, Camera) and isinstance(scanner, DocCamScanner)
        opened = 0
        real_open = camera._open_capture

        def counting_open() -> None:
            nonlocal opened
            opened += 1
            real_open()

        camera._open_capture = counting_open  # type: ignore[method-assign]
        devices.open_all(settle_s=5.0)
        assert opened == 1
        assert camera.status.ready and scanner.status.ready
    assert camera.status.reason == "device.reason.not_opened"


def test_scanner_without_a_doccam_entry_owns_its_camera(tmp_path: Path) -> None:
    config = config_with(tmp_path, {
        **NONE_DRIVERS,
        "doccam": {"driver": "opencv", "source": f"sim:dir:{tmp_path}", "width": 320,
                   "height": 240},
        "scanner": {"driver": "doccam"},
    })
    devices = build_devices(config, site_with(config, doccam="absent"), clock=SystemClock())
    assert sorted(devices) == ["camera", "codescanner", "idcard", "printer", "scanner",
                               "sscard"]
    with devices:
        devices.open_all(settle_s=5.0)
        assert devices["scanner"].status.ready


def test_build_device_map_uses_the_configs_site(tmp_path: Path) -> None:
    config = config_with(tmp_path, NONE_DRIVERS)
    devices = build_device_map(config, SystemClock())
    assert set(devices) == set(KINDS)  # township: every kind present


def test_app_hook_builds_and_opens_the_device_set(tmp_path: Path) -> None:
    from kiosk.wiring.build import build_kiosk
    from kiosk.wiring.devices import open_devices

    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(yaml.safe_dump({"devices": NONE_DRIVERS}))
    kiosk = build_kiosk(overlays=(overlay,), device_factory=open_devices)
    try:
        assert set(kiosk.devices) == set(KINDS)
        assert all(d.status.reason == REASON_NOT_CONFIGURED for d in kiosk.devices.values())
        # Items that need a printer are suspended (暂停服务) with the device's reason.
        item = next(i for i in kiosk.catalog.items if "printer" in i.devices)
        assert not kiosk.check(item).available
    finally:
        kiosk.close()
