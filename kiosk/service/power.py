"""Service hours and the screen outside them: ``python -m kiosk.service.power
in-hours|blank|unblank [--conf /etc/kiosk/power.conf]`` (bin/kiosk-power).

``/etc/kiosk/power.conf`` (deploy/config/power.conf) names the days and the times the
kiosk serves: ``DAYS=Mon..Sat``, ``ON=07:45``, ``OFF=18:30``. The installer writes
kiosk-wake.timer and kiosk-sleep.timer from it (``OnCalendar=Mon..Sat *-*-* 07:45:00``).

* ``in-hours``: exit 0 inside the hours (also when there is no file: always on), 1
  outside; kiosk-app.service's ``ExecCondition=``, so a terminal switched on at night
  stays dark until kiosk-wake.timer.
* ``blank`` / ``unblank``: the text console under the stopped UI set to blank and
  power the display down (VESA) within a minute, or to never blank and woken now
  (console_codes(4) sequences written to ``/dev/tty1``). While the UI runs, cage
  keeps the screen on: the kiosk's SDL window inhibits idle, and the kernel's console
  blanking is off (``consoleblank=0`` on the kernel command line, docs/install.md).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Linux console private sequences (console_codes(4)): ESC [ 9 ; n ] blanks the screen
# after n minutes without output, ESC [ 14 ; n ] powers the display down (VESA) n
# minutes later; n = 0 turns either off, ESC [ 13 ] unblanks now. With the UI stopped
# nothing writes to the console, so it blanks within a minute and powers down.
BLANK = b"\x1b[9;1]\x1b[14;1]"
UNBLANK = b"\x1b[9;0]\x1b[14;0]\x1b[13]"


@dataclass(frozen=True)
class Hours:
    days: frozenset[int]
    on: time
    off: time

    def serving(self, now: datetime) -> bool:
        return now.weekday() in self.days and self.on <= now.time() < self.off

    def calendars(self, days_text: str) -> tuple[str, str]:
        """systemd OnCalendar= of the start and the end of the hours."""
        return (f"{days_text} *-*-* {self.on:%H:%M}:00", f"{days_text} *-*-* {self.off:%H:%M}:00")


def parse_days(text: str) -> frozenset[int]:
    out: set[int] = set()
    for part in text.replace(" ", "").split(","):
        first, _, last = part.partition("..")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"bad DAYS {text!r}: use Mon..Fri,Sat")
        a, b = DAYS.index(first), DAYS.index(last or first)
        out.update(range(a, b + 1) if a <= b else (*range(a, 7), *range(b + 1)))
    return frozenset(out)


def parse_conf(text: str) -> tuple[str, Hours]:
    values = dict(re.findall(r"^\s*([A-Z]+)\s*=\s*(\S+)\s*$", text, re.MULTILINE))
    try:
        on = time.fromisoformat(values["ON"])
        off = time.fromisoformat(values["OFF"])
        days = values["DAYS"]
    except (KeyError, ValueError) as exc:
        raise ValueError(f"power.conf needs DAYS=, ON=HH:MM and OFF=HH:MM ({exc})") from None
    if not on < off:
        raise ValueError("power.conf: ON must come before OFF")
    return days, Hours(parse_days(days), on, off)


def main(argv: list[str] | None = None, now: datetime | None = None) -> int:
    p = argparse.ArgumentParser(prog="kiosk-power")
    p.add_argument("action", choices=("in-hours", "blank", "unblank"))
    p.add_argument("--conf", type=Path, default=Path("/etc/kiosk/power.conf"))
    p.add_argument("--tty", type=Path, default=Path("/dev/tty1"))
    args = p.parse_args(argv)
    if args.action == "in-hours":
        if not args.conf.exists():
            return 0
        try:
            _, hours = parse_conf(args.conf.read_text(encoding="utf-8"))
        except ValueError as exc:
            print(f"kiosk-power: {args.conf}: {exc}; serving anyway", file=sys.stderr)
            return 0
        return 0 if hours.serving(now or datetime.now()) else 1
    try:
        with open(args.tty, "wb") as tty:
            tty.write(BLANK if args.action == "blank" else UNBLANK)
    except OSError as exc:
        print(f"kiosk-power: {args.tty}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
