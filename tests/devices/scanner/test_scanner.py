"""Scanners: the document camera over the camera simulator; SANE over its real 'test' backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from devices.base import DeviceState
from devices.camera.opencv import OpenCVCamera
from devices.camera.scenes import document_scene
from devices.camera.simulator import SimFaults, SimulatorFactory
from devices.scanner.doccam import DocCamScanner
from devices.scanner.formats import PageFormat
from devices.scanner.sane import REASON_LIBRARY, REASON_NOT_FOUND, SaneScanner
from kiosk.clock import SystemClock
from kiosk.documents.quality import capture_page
from kiosk.errors import DeviceError

SANE_TEST_CONF = Path("/etc/sane.d/test.conf")


@pytest.fixture
def doccam() -> Iterator[tuple[DocCamScanner, SimFaults]]:
    clock = SystemClock()
    faults = SimFaults()
    factory = SimulatorFactory(document_scene(seed=4, size=(1600, 1200)), clock=clock,
                               faults=faults, fps=30)
    camera = OpenCVCamera("doccam", "1", clock=clock, capture_factory=factory, fps=30,
                          max_read_failures=2, reopen_interval_s=60)
    scanner = DocCamScanner("doccam", camera, capture=capture_page)
    scanner.open()
    yield scanner, faults
    scanner.close()


def test_document_camera_scans_a_clean_page(doccam: tuple[DocCamScanner, SimFaults]) -> None:
    scanner, _ = doccam
    scanner.enable()
    page = scanner.scan(PageFormat.A4)
    assert page.ok, page.keys
    assert page.image is not None and sorted(page.image.shape[:2]) == [1654, 2339]
    assert page.source == "doccam"
    assert scanner.status.ready
    assert scanner.diagnostics()["counters"]["operations"] == 1


def test_nothing_is_scanned_outside_a_session(doccam: tuple[DocCamScanner, SimFaults]) -> None:
    scanner, _ = doccam
    with pytest.raises(DeviceError):
        scanner.scan()


def test_an_unplugged_document_camera_makes_the_scanner_unavailable(
        doccam: tuple[DocCamScanner, SimFaults]) -> None:
    scanner, faults = doccam
    scanner.enable()
    scanner.scan()
    faults.unplugged = True
    with pytest.raises(DeviceError):
        for _ in range(100):  # bounded: the capture thread notices within a few reads
            scanner.scan()
    assert scanner.status.state is DeviceState.UNAVAILABLE
    assert scanner.status.reason == "device.reason.camera_unplugged"


@pytest.fixture
def sane_config(tmp_path: Path) -> Path:
    """A SANE configuration with only the 'test' backend (frontend tester, libsane1)."""
    (tmp_path / "dll.conf").write_text("test\n")
    if SANE_TEST_CONF.exists():
        (tmp_path / "test.conf").write_text(SANE_TEST_CONF.read_text())
    return tmp_path


# libsane reads its configuration once per process (a second sane.init() in the
# same process keeps the first backend list), so each SANE case runs the real
# driver in a fresh interpreter with its own SANE_CONFIG_DIR.
PROBE = """
import json
from devices.scanner.sane import SaneScanner
from kiosk.errors import KioskError
scanner = SaneScanner("flatbed", device=DEVICE, dpi=50)
scanner.open()
out = {"status": scanner.status.as_dict(), "diag": scanner.diagnostics()}
scanner.enable()
try:
    page = scanner.scan()
    out["scan"] = {"ok": page.ok, "shape": list(page.image.shape), "source": page.source}
except KioskError as error:
    out["scan"] = {"error": type(error).__name__}
scanner.close()
out["closed"] = scanner.status.as_dict()
print(json.dumps(out))
"""


def _probe(config_dir: Path, device: str = "") -> dict[str, Any]:
    env = {**os.environ, "SANE_CONFIG_DIR": str(config_dir),
           "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    done = subprocess.run([sys.executable, "-c", PROBE.replace("DEVICE", repr(device))],
                          capture_output=True, text=True, timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_sane_test_backend_scans(sane_config: Path) -> None:
    out = _probe(sane_config)
    assert out["status"]["state"] == "ready", out
    assert out["diag"]["device"] == "test:0"
    assert out["scan"]["ok"] and out["scan"]["source"] == "sane"
    height, width, channels = out["scan"]["shape"]
    assert channels == 3 and height > 50 and width > 50
    assert out["closed"]["state"] == "unavailable"


def test_sane_without_a_scanner(sane_config: Path) -> None:
    (sane_config / "dll.conf").write_text("")
    out = _probe(sane_config)
    assert out["status"]["state"] == "unavailable"
    assert out["status"]["reason"] == REASON_NOT_FOUND
    assert out["scan"] == {"error": "DeviceUnavailable"}


def test_sane_named_device_missing(sane_config: Path) -> None:
    out = _probe(sane_config, device="epson2:libusb:001:004")
    assert out["status"]["reason"] == REASON_NOT_FOUND
    assert "epson2" in out["status"]["detail"]


def test_sane_library_missing() -> None:
    def no_sane() -> ModuleType:
        raise ImportError("No module named 'sane'")

    scanner = SaneScanner("flatbed", import_sane=no_sane)
    scanner.open()
    assert scanner.status.state is DeviceState.UNAVAILABLE
    assert scanner.status.reason == REASON_LIBRARY
    assert "python-sane" in scanner.status.detail


def test_factory_builds_what_the_config_says() -> None:
    from devices.scanner.factory import make_scanner
    from kiosk.config.model import CameraConfig, DevicesConfig, ScannerConfig

    clock = SystemClock()
    doccam = make_scanner(DevicesConfig(doccam=CameraConfig(source="sim:doc:1")), clock=clock,
                          capture=capture_page)
    assert isinstance(doccam, DocCamScanner)
    sane = make_scanner(DevicesConfig(scanner=ScannerConfig(driver="sane")), clock=clock,
                        capture=capture_page)
    assert isinstance(sane, SaneScanner)
    assert make_scanner(DevicesConfig(scanner=ScannerConfig(driver="none")), clock=clock,
                        capture=capture_page) is None
    no_camera = DevicesConfig(doccam=CameraConfig(driver="none"))
    assert make_scanner(no_camera, clock=clock, capture=capture_page) is None
