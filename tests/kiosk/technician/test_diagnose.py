"""scripts/diagnose all: devices, back office reachability and skew, outbox, no full IDs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from devices.base import Device, DeviceState, DeviceStatus
from kiosk.clock import Clock, FakeClock, SystemClock
from kiosk.config.model import KioskConfig, load_config
from kiosk.submission.outbox import Outbox
from kiosk.technician.diagnose import collect, main, problems, render
from tests.kiosk.crash.live_backoffice import LiveBackoffice, free_port
from tests.kiosk.journey_factory import ID_NUMBER


class Reader(Device):
    kind = "idcard"

    def open(self) -> None:
        self._set_status(DeviceStatus(DeviceState.READY))
        # A careless driver put a card number into its last error: must not be printed.
        self.counters.last_error = f"CardError: bad read of {ID_NUMBER}"


class Camera(Device):
    kind = "camera"

    def open(self) -> None:
        self._set_status(DeviceStatus(DeviceState.UNAVAILABLE, reason="device.reason.no_frames"))


def factory(config: KioskConfig, clock: Clock) -> Mapping[str, Device]:
    return {"idcard": Reader("sam0"), "camera": Camera("cam0")}


def overlay(tmp_path: Path, url: str = "", secret_file: Path | None = None) -> Path:
    data = {"terminal": {"data_dir": str(tmp_path / "var")},
            "outbox": {"path": str(tmp_path / "var/outbox.sqlite3"),
                       "key_file": str(tmp_path / "var/secrets/outbox.key")},
            "backoffice": {"url": url,
                           "secret_file": str(secret_file or tmp_path / "none.key")}}
    path = tmp_path / "local.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_all_checks_against_the_real_back_office(tmp_path: Path, live_backoffice: LiveBackoffice,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = overlay(tmp_path, live_backoffice.url, live_backoffice.secret_file)
    config = load_config(overlays=(path,))
    Outbox.from_config(config, clock=SystemClock(), create_key=True).close()
    code = main(["--json", "--config", str(path)], clock=SystemClock(), factory=factory)
    out = capsys.readouterr().out
    report = json.loads(out)
    assert code == 1  # the camera is unavailable
    assert report["backoffice"]["reachable"] and abs(report["backoffice"]["clock_skew_s"]) < 5
    assert report["outbox"]["pending"] == 0 and report["outbox"]["ok"]
    assert report["devices"]["idcard"]["ok"] and not report["devices"]["camera"]["ok"]
    assert report["devices"]["camera"]["status"]["reason"] == "device.reason.no_frames"
    assert ID_NUMBER not in out and ID_NUMBER[:6] + "********" in out
    # no kiosk has run on this data dir: no catalog from the back office kept yet, so a
    # kiosk started now would run on the sample catalog, which needs a look too
    assert report["fleet"]["catalog_source"] == "sample" and "sample" in report["fleet"]["note"]
    assert problems(report) == ["fleet", "device camera"]


def test_skew_and_unreachable_back_office_are_reported(tmp_path: Path,
                                                       live_backoffice: LiveBackoffice) -> None:
    path = overlay(tmp_path, live_backoffice.url, live_backoffice.secret_file)
    config = load_config(overlays=(path,))
    skewed = FakeClock(datetime(2020, 1, 1, tzinfo=UTC))
    report = collect(config, clock=skewed, factory=factory, with_devices=False)
    assert report["backoffice"]["reachable"] and "300 s" in report["backoffice"]["problem"]
    live_backoffice.stop()
    report = collect(config, clock=SystemClock(), with_devices=False)
    assert not report["backoffice"]["reachable"] and not report["outbox"]["ok"]
    assert "backoffice" in problems(report) and "outbox" in problems(report)


def test_table_output_and_no_factory(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = overlay(tmp_path, f"http://127.0.0.1:{free_port()}")
    code = main(["--config", str(path)], clock=SystemClock(),
                factory=lambda c, k: {"idcard": Reader("sam0")})
    out = capsys.readouterr().out
    assert code == 1 and "[devices]" in out and "RESULT: attention" in out
    assert ID_NUMBER not in out
    config = load_config(overlays=(path,))
    text = render(collect(config, clock=SystemClock(), factory=None), as_json=False)
    assert "no device factory" in text


def test_bad_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("terminal:\n  nope: 1\n")
    assert main(["--config", str(bad)]) == 2
    assert "config error" in capsys.readouterr().err


def test_devices_from_the_packages_factories(tmp_path: Path) -> None:
    """Devices built as the kiosk builds them (kiosk.wiring.devices): the printer against
    the ESC/POS emulator is READY, ``driver: none`` kinds are listed as not ok."""
    from devices.printer.emulator import PrinterEmulator
    from devices.printer.glyphs import GlyphCache
    from kiosk.technician.diagnose import app_device_factory

    emulator = PrinterEmulator(tmp_path / "receipts", port=0, glyphs=GlyphCache()).start()
    try:
        path = overlay(tmp_path)
        data = yaml.safe_load(path.read_text())
        data["devices"] = {"printer": {"driver": "network", "host": "127.0.0.1",
                                       "port": emulator.port},
                           "idcard": {"driver": "none"}, "camera": {"driver": "none"},
                           "doccam": {"driver": "none"}, "scanner": {"driver": "none"}}
        path.write_text(yaml.safe_dump(data))
        config = load_config(overlays=(path,))
        report = collect(config, clock=SystemClock(), factory=app_device_factory())
    finally:
        emulator.stop()
    devices = report["devices"]
    assert devices["printer"]["ok"], devices["printer"]
    assert not devices["idcard"]["ok"]
    assert devices["idcard"]["status"]["reason"] == "device.reason.not_configured"
