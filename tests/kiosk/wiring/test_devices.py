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


def test_deferred_cameras_are_built_by_open_all_and_reach_the_kiosk(tmp_path: Path) -> None:
    """The app builds the cameras and the scanner after Home (OpenCV off the start-up
    path): until then a stand-in with a closed device's status; afterwards the kiosk's
    mapping, the session and the availability check all see the real devices, and
    whoever listened to the stand-in hears the real device."""
    from kiosk.session import EndReason
    from kiosk.wiring.build import build_kiosk
    from kiosk.wiring.devices import DEFERRABLE, PendingDevice

    config_with(tmp_path, {  # writes tmp_path/overlay.yaml, which the kiosk loads
        **NONE_DRIVERS,
        "doccam": {"driver": "opencv", "source": f"sim:dir:{tmp_path}", "width": 320,
                   "height": 240, "fps": 10},
        "scanner": {"driver": "doccam"},
    })
    made: list[DeviceSet] = []

    def factory(cfg: KioskConfig, site: SiteProfile, clock: Any) -> DeviceSet:
        made.append(build_devices(cfg, site_with(cfg), clock=clock, defer=DEFERRABLE))
        return made[0]

    overlay = tmp_path / "overlay.yaml"
    kiosk = build_kiosk(overlays=(overlay,), device_factory=factory)
    devices = made[0]
    try:
        stand_in = kiosk.devices["doccam"]
        assert isinstance(stand_in, PendingDevice)
        assert isinstance(kiosk.devices["scanner"], PendingDevice)
        assert stand_in.status.state is DeviceState.UNAVAILABLE
        heard: list[Any] = []
        stand_in.add_listener(lambda _device, status: heard.append(status))
        kiosk.session.touch()  # a citizen arrives before the cameras exist
        devices.open_all(settle_s=5.0)
        camera, scanner = kiosk.devices["doccam"], kiosk.devices["scanner"]
        assert isinstance(camera, Camera) and isinstance(scanner, DocCamScanner)
        assert camera.enabled and scanner.enabled  # the session's enable carried over
        assert camera.status.ready and heard and heard[-1].ready
        kiosk.session.end(EndReason.DONE)
        assert not camera.enabled  # the session reaches the real device, not a copy
    finally:
        kiosk.close()


def test_a_bad_camera_source_stops_the_start_although_the_camera_is_built_later(
        tmp_path: Path) -> None:
    from kiosk.errors import ConfigError
    from kiosk.wiring.devices import DEFERRABLE

    config = config_with(tmp_path, {**NONE_DRIVERS,
                                    "camera": {"driver": "opencv", "source": "sim:nonsense"}})
    with pytest.raises(ConfigError, match="sim:nonsense"):
        build_devices(config, site_with(config), clock=SystemClock(), defer=DEFERRABLE)


def test_the_interactive_app_loads_no_opencv_before_home() -> None:
    """scripts/run's start-up path: the kiosk is built with its cameras pending, so
    OpenCV is not loaded until the devices open after Home."""
    import subprocess
    code = ("import sys, screens.main as m\n"
            "from kiosk.wiring.build import build_kiosk\n"
            "f = m.RealTimeDevices(open_now=False)\n"
            "k = build_kiosk(device_factory=f, overlays=())\n"
            "print('cv2' in sys.modules)\n"
            "f.devices.close_all()\n")
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                         text=True, timeout=120, env={"PYTHONPATH": str(root),
                                                      "PATH": "/usr/bin:/bin"}, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-1] == "False"
