"""Service hours (kiosk/service/power.py): the UI's ExecCondition= and the timers'
calendars come from one file, /etc/kiosk/power.conf."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from kiosk.service.power import BLANK, UNBLANK, main, parse_conf, parse_days

CONF = "DAYS=Mon..Sat\nON=08:00\nOFF=18:30\n"


def test_in_hours_is_the_ui_condition(tmp_path: Path) -> None:
    conf = tmp_path / "power.conf"
    conf.write_text(CONF)
    args = ["in-hours", "--conf", str(conf)]
    saturday_noon = datetime(2026, 12, 5, 12, 0)
    assert main(args, now=saturday_noon) == 0
    assert main(args, now=datetime(2026, 12, 6, 12, 0)) == 1      # Sunday
    assert main(args, now=datetime(2026, 12, 4, 7, 59)) == 1      # before ON
    assert main(args, now=datetime(2026, 12, 4, 18, 30)) == 1     # at OFF: dark
    # No file, or a broken one: the kiosk serves (a typo must not darken a hall).
    assert main(["in-hours", "--conf", str(tmp_path / "none")], now=saturday_noon) == 0
    conf.write_text("DAYS=Someday\nON=08:00\nOFF=18:30\n")
    assert main(args, now=datetime(2026, 12, 6, 3, 0)) == 0


def test_days_wrap_and_the_calendars_systemd_reads() -> None:
    assert parse_days("Fri..Mon") == {4, 5, 6, 0}
    assert parse_days("Mon..Fri,Sun") == {0, 1, 2, 3, 4, 6}
    days, hours = parse_conf(CONF)
    on, off = hours.calendars(days)
    assert (on, off) == ("Mon..Sat *-*-* 08:00:00", "Mon..Sat *-*-* 18:30:00")
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    for spec in (on, off):
        done = subprocess.run(["systemd-analyze", "calendar", spec], capture_output=True,
                              text=True, timeout=30)
        assert done.returncode == 0, done.stderr
    with pytest.raises(ValueError):
        parse_conf("DAYS=Mon\nON=18:00\nOFF=08:00\n")


def test_blank_and_unblank_write_the_console_sequences(tmp_path: Path) -> None:
    tty = tmp_path / "tty1"
    tty.write_bytes(b"")
    assert main(["blank", "--tty", str(tty)]) == 0
    assert tty.read_bytes() == b"\x1b[9;1]\x1b[14;1]" == BLANK
    assert main(["unblank", "--tty", str(tty)]) == 0
    assert tty.read_bytes() == UNBLANK
