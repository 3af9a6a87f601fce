"""Technician entry: corner gesture, scrypt PIN, persistent lockout, set-pin."""

from __future__ import annotations

import io
import json
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from kiosk.clock import FakeClock
from kiosk.config.model import KioskConfig, TechnicianConfig, load_config
from kiosk.errors import ConfigError, ValidationError
from kiosk.technician.gate import (
    CornerGesture,
    PinGate,
    PinResult,
    hash_pin,
    main,
    parse_pin_hash,
    verify_pin,
    write_pin_overlay,
)

W, H = 1920, 1080
CORNER = {"tl": (5, 5), "tr": (W - 5, 5), "br": (W - 5, H - 5), "bl": (5, H - 5)}
FAST: dict[str, Any] = {"n": 2 ** 10}  # cheaper scrypt for tests; the hash carries its parameters


def taps(g: CornerGesture, clock: FakeClock, corners: str, gap: float = 0.5) -> list[bool]:
    out = []
    for c in corners.split():
        out.append(g.touch(*CORNER[c], W, H))
        clock.advance(gap)
    return out


def test_gesture_needs_the_corners_in_order_within_the_window() -> None:
    clock = FakeClock()
    g = CornerGesture(clock)
    assert taps(g, clock, "tl tr br bl") == [False, False, False, True]
    assert taps(g, clock, "tl tr bl br") == [False] * 4
    assert not g.touch(W / 2, H / 2, W, H)  # a touch in the middle breaks the sequence
    assert taps(g, clock, "tl tl tr br bl")[-1]  # a repeated first corner restarts it
    assert not any(taps(g, clock, "tl tr br bl", gap=2.0))  # 6 s > 5 s window
    assert g.corner(W / 2, 5, W, H) is None


def test_pin_hash_round_trip_and_format() -> None:
    stored = hash_pin("24681357", **FAST)
    assert stored.startswith("scrypt$1024$8$1$")
    assert verify_pin("24681357", stored)
    assert not verify_pin("24681358", stored)
    assert hash_pin("24681357", **FAST) != stored  # fresh salt each time
    n, r, p, salt, digest = parse_pin_hash(hash_pin("123456"))
    assert (n, r, p, len(salt), len(digest)) == (2 ** 14, 8, 1, 16, 32)
    for bad in ("", "scrypt$3$8$1$AA==$AA==", "bcrypt$x", "scrypt$1024$8$1$!!$AA=="):
        with pytest.raises(ConfigError, match=r"technician\.pin_hash"):
            parse_pin_hash(bad)
    with pytest.raises(ValidationError):
        hash_pin("12ab56")
    with pytest.raises(ValidationError):
        hash_pin("123")


KEY = bytes(range(32))


def gate(tmp_path: Path, clock: FakeClock, *, armed: bool = False) -> PinGate:
    config = TechnicianConfig(pin_hash=hash_pin("24681357", **FAST))
    return PinGate(config, tmp_path / "technician.json", clock, key=KEY, armed=armed)


def test_five_wrong_pins_lock_for_fifteen_minutes_across_a_reboot(tmp_path: Path) -> None:
    clock = FakeClock()
    g = gate(tmp_path, clock)
    assert [g.check("000000") for _ in range(4)] == [PinResult.WRONG] * 4
    assert g.failures() == 4
    assert g.check("000000") is PinResult.LOCKED
    assert g.check("24681357") is PinResult.LOCKED  # even the right PIN while locked
    assert g.remaining_s() == pytest.approx(15 * 60)
    rebooted = gate(tmp_path, clock, armed=True)  # new object, same state file: still locked
    clock.advance(14 * 60)
    assert rebooted.check("24681357") is PinResult.LOCKED
    clock.advance(61)
    assert rebooted.check("24681357") is PinResult.OK
    assert rebooted.failures() == 0
    assert stat.S_IMODE((tmp_path / "technician.json").stat().st_mode) == 0o600


def test_success_resets_the_count_and_damaged_state_keeps_it_locked(tmp_path: Path) -> None:
    clock = FakeClock()
    g = gate(tmp_path, clock)
    g.check("111111")
    assert g.check("24681357") is PinResult.OK and g.failures() == 0
    (tmp_path / "technician.json").write_text("{not json")
    assert g.check("24681357") is PinResult.LOCKED
    clock.advance(15 * 60 + 1)  # the damaged file became an ordinary lock that expires
    assert g.check("24681357") is PinResult.OK


def test_clock_set_back_does_not_lengthen_the_lock(tmp_path: Path) -> None:
    clock = FakeClock()
    g = gate(tmp_path, clock)
    g._save(0, clock.now() + timedelta(days=30))  # a genuine lock from a clock far ahead
    assert g.remaining_s() == pytest.approx(15 * 60)


def test_deleting_the_state_file_after_a_lock_does_not_lift_it(tmp_path: Path) -> None:
    clock = FakeClock()
    g = gate(tmp_path, clock)
    assert [g.check("000000") for _ in range(5)][-1] is PinResult.LOCKED
    (tmp_path / "technician.json").unlink()
    assert g.check("24681357") is PinResult.LOCKED
    clock.advance(60)
    (tmp_path / "technician.json").unlink()  # and after a reboot (the key says it existed)
    assert gate(tmp_path, clock, armed=True).check("24681357") is PinResult.LOCKED


def test_four_wrong_pins_then_deleting_the_file_does_not_reset_the_count(
        tmp_path: Path) -> None:
    clock = FakeClock()
    g = gate(tmp_path, clock)
    assert [g.check("000000") for _ in range(4)] == [PinResult.WRONG] * 4
    (tmp_path / "technician.json").unlink()
    assert g.check("24681357") is PinResult.LOCKED


@pytest.mark.parametrize("edit", [
    lambda s: {**s, "locked_until": None},                 # the lock removed
    lambda s: {**s, "locked_until": "2000-01-01T00:00:00+00:00"},
    lambda s: {**s, "failures": 0},
    lambda s: {"version": 1, "failures": 0, "locked_until": None},  # an old, MAC-less file
])
def test_an_edited_state_file_counts_as_locked(tmp_path: Path, edit: Any) -> None:
    clock = FakeClock()
    g = gate(tmp_path, clock)
    for _ in range(5):
        g.check("000000")
    path = tmp_path / "technician.json"
    path.write_text(json.dumps(edit(json.loads(path.read_text()))))
    assert g.check("24681357") is PinResult.LOCKED
    assert g.remaining_s() == pytest.approx(15 * 60)


def test_state_mac_key_lives_in_secret_storage_and_arms_the_gate(tmp_path: Path) -> None:
    config = KioskConfig.model_validate({
        "terminal": {"id": "XS-TEST-0001", "ref_prefix": "XT", "site_profile": "township",
                     "data_dir": str(tmp_path / "var")},
        "technician": {"pin_hash": hash_pin("24681357", **FAST),
                       "state_key_file": str(tmp_path / "secrets" / "technician.key")}})
    clock = FakeClock()
    first = PinGate.from_config(config, clock)  # a new terminal: key and state made together
    assert stat.S_IMODE((tmp_path / "secrets" / "technician.key").stat().st_mode) == 0o600
    assert first.check("24681357") is PinResult.OK
    (tmp_path / "var" / "technician.json").unlink()
    assert PinGate.from_config(config, clock).check("24681357") is PinResult.LOCKED


def test_pins_have_at_least_six_digits() -> None:
    with pytest.raises(ValidationError):
        hash_pin("12345", **FAST)
    assert verify_pin("123456", hash_pin("123456", **FAST))


def test_disabled_without_a_hash(tmp_path: Path) -> None:
    g = PinGate(TechnicianConfig(), tmp_path / "t.json", FakeClock(), key=KEY)
    assert g.check("123456") is PinResult.DISABLED


def test_set_pin_writes_an_overlay_the_config_loader_accepts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    overlay = tmp_path / "local.yaml"
    overlay.write_text("backoffice:\n  url: http://127.0.0.1:8000\n")
    write_pin_overlay(overlay, "13572468")
    data = yaml.safe_load(overlay.read_text())
    assert data["backoffice"]["url"] == "http://127.0.0.1:8000"
    assert stat.S_IMODE(overlay.stat().st_mode) == 0o600
    config = load_config(overlays=(overlay,))
    assert verify_pin("13572468", config.technician.pin_hash)
    monkeypatch.setattr("sys.stdin", io.StringIO("1234\n"))
    assert main(["set-pin", "--overlay", str(overlay), "--pin-stdin"]) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("99887766\n"))
    assert main(["set-pin", "--overlay", str(overlay), "--pin-stdin"]) == 0
    assert verify_pin("99887766", yaml.safe_load(overlay.read_text())["technician"]["pin_hash"])


def test_console_rows_outbox_retry_logs_and_export(tmp_path: Path) -> None:
    import logging
    import os
    import zipfile

    from devices.base import Device
    from kiosk.logging_setup import setup_logging
    from kiosk.submission.crypto import Sealer
    from kiosk.submission.outbox import Outbox
    from kiosk.technician.console import TechnicianConsole
    from tests.kiosk.case_factory import id_number, make_case

    overlay = tmp_path / "local.yaml"
    overlay.write_text(yaml.safe_dump({"terminal": {"data_dir": str(tmp_path / "var")}}))
    config = load_config(overlays=(overlay,))
    clock = FakeClock()
    reader = Device("sam0")
    reader.counters.failures = 2
    reader.counters.last_error = f"CardError: {id_number()}"
    outbox = Outbox(tmp_path / "o.sqlite3", Sealer(os.urandom(32)), ref_prefix="XD",
                    clock=clock)

    class Sender:
        woken = 0

        def wake(self) -> None:
            self.woken += 1

    logger = logging.getLogger("kiosk.test.console")
    logger.propagate = False
    logs = setup_logging(None, logger=logger)
    try:
        ref = outbox.enqueue(make_case("refused"))
        item = outbox.claim_next()
        assert item is not None
        outbox.mark_refused(ref, 422, "invalid_case")
        outbox.set_hold(clock.now().timestamp() + 600)
        logger.warning("read %s", id_number())
        sender = Sender()
        console = TechnicianConsole(config, clock=clock, devices={"idcard": reader},
                                    outbox=outbox, sender=sender, ring=logs.ring)
        (row,) = console.device_rows()
        assert row["state"] == "unavailable" and row["failures"] == 2
        assert id_number() not in str(row) and id_number()[:6] in row["last_error"]
        summary = console.outbox_summary()
        assert summary["refused"] == 1 and summary["refused_cases"][0]["kiosk_ref"] == ref
        console.retry_now()
        assert outbox.hold_until() is None and sender.woken == 1
        assert id_number() not in str(console.recent_logs())
        assert console.backoffice()["configured"] is False
        bundle = console.export(tmp_path / "usb")
        with zipfile.ZipFile(bundle) as zf:
            text = b"".join(zf.read(n) for n in zf.namelist())
        assert id_number().encode() not in text and ref.encode() in text
    finally:
        logs.close()
        outbox.close()
