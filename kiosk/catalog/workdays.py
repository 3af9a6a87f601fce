"""China working days: promised dates (承诺办结) counted from the filing date.

An item's ``promised_days`` are working days (工作日). Which days those are is
data, not code: ``config/holidays.yaml`` holds each year's public holidays and
adjusted working days (调休: weekends worked to bridge a holiday) as the State
Council General Office publishes them every year. A date in a year the file
does not cover is a :class:`~kiosk.errors.ConfigError` naming the file and the
year to add; the calendar never guesses.

Counting: the filing day itself is day 0; ``n`` working days later is the n-th
working day *after* it (a case filed on Friday with 1 day is due on Monday).
``n == 0`` (即办) is the filing day, or the next working day when the case was
filed on a day off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from kiosk.clock import CST, Clock
from kiosk.config.loader import read_yaml
from kiosk.errors import ConfigError

SATURDAY = 5


@dataclass(frozen=True)
class WorkCalendar:
    years: frozenset[int]
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str = "config/holidays.yaml"

    def is_working_day(self, day: date) -> bool:
        if day.year not in self.years:
            covered = ", ".join(str(y) for y in sorted(self.years)) or "none"
            raise ConfigError(self.source, f"years.{day.year}",
                              f"no holiday schedule for {day.year} (covered: {covered}); "
                              "add that year's State Council notice to this file")
        if day in self.workdays:
            return True
        return day.weekday() < SATURDAY and day not in self.holidays

    def add_working_days(self, filed: date, days: int) -> date:
        """The ``days``-th working day after ``filed`` (see the module docstring)."""
        if days < 0:
            raise ValueError("working days cannot be negative")
        day = filed
        if days == 0:
            while not self.is_working_day(day):
                day += timedelta(days=1)
            return day
        left = days
        while left:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day


def promised_date(calendar: WorkCalendar, days: int, *, clock: Clock) -> date:
    """The 承诺办结 date of a case filed now (China time) with ``days`` working days."""
    return calendar.add_working_days(clock.now().astimezone(CST).date(), days)


def load_calendar(path: Path) -> WorkCalendar:
    """Read ``config/holidays.yaml``; every problem is a one-line ConfigError."""
    name = str(path)
    data = read_yaml(path)
    if data.get("schema_version") != 1:
        raise ConfigError(name, "schema_version", "must be 1")
    years = data.get("years")
    if not isinstance(years, dict) or not years:
        raise ConfigError(name, "years", "expected a mapping of year -> schedule")
    holidays: set[date] = set()
    workdays: set[date] = set()
    for year, section in years.items():
        where = f"years.{year}"
        if not isinstance(year, int) or not isinstance(section, dict):
            raise ConfigError(name, where, "expected a year (e.g. 2026) with a mapping")
        for n, entry in enumerate(section.get("holidays") or []):
            holidays.update(_days(name, f"{where}.holidays.{n}", entry, year))
        for n, entry in enumerate(section.get("workdays") or []):
            (day,) = _days(name, f"{where}.workdays.{n}", entry, year)
            if day.weekday() < SATURDAY:
                raise ConfigError(name, f"{where}.workdays.{n}",
                                  f"{day} is a weekday; only a weekend can be worked instead")
            workdays.add(day)
    both = sorted(holidays & workdays)
    if both:
        raise ConfigError(name, "years", f"{both[0]} is both a holiday and a workday")
    return WorkCalendar(frozenset(years), frozenset(holidays), frozenset(workdays), name)


def _days(file: str, where: str, entry: Any, year: int) -> list[date]:
    text = entry.isoformat() if isinstance(entry, date) else str(entry)
    first_text, _, last_text = text.partition("..")
    try:
        first = date.fromisoformat(first_text.strip())
        last = date.fromisoformat(last_text.strip()) if last_text else first
    except ValueError:
        raise ConfigError(file, where, f"not a date or a range 'YYYY-MM-DD..YYYY-MM-DD': "
                          f"{text!r}") from None
    if last < first or (last - first).days > 31:
        raise ConfigError(file, where, f"not a holiday range: {text!r}")
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if any(abs(d.year - year) > 1 for d in days):  # 元旦 may start on 30 December
        raise ConfigError(file, where, f"{text!r} is not in or next to {year}")
    return days
