"""Promised dates in China working days: holidays and 调休 from config/holidays.yaml."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from kiosk.catalog.workdays import WorkCalendar, load_calendar, promised_date
from kiosk.clock import FakeClock
from kiosk.config.model import ROOT
from kiosk.errors import ConfigError

CALENDAR = load_calendar(ROOT / "config" / "holidays.yaml")


@pytest.mark.parametrize(("filed", "days", "due"), [
    (date(2026, 11, 20), 1, date(2026, 11, 23)),    # Friday + 1: Monday
    (date(2026, 11, 23), 5, date(2026, 11, 30)),    # an ordinary week
    (date(2026, 9, 30), 1, date(2026, 10, 8)),      # 国庆 1-7 Oct
    (date(2026, 2, 13), 1, date(2026, 2, 14)),      # Saturday 14 Feb is a 调休 workday
    (date(2026, 2, 14), 1, date(2026, 2, 24)),      # 春节 15-23 Feb
    (date(2026, 2, 27), 1, date(2026, 2, 28)),      # Saturday 28 Feb is worked too
    (date(2025, 9, 26), 1, date(2025, 9, 28)),      # 2025: Sunday 28 Sep worked
    (date(2025, 12, 31), 1, date(2026, 1, 4)),      # 元旦 1-3 Jan 2026; Sunday 4 Jan worked
    (date(2026, 11, 22), 0, date(2026, 11, 23)),    # 即办 on a Sunday: next working day
    (date(2026, 11, 23), 0, date(2026, 11, 23)),
])
def test_working_days_follow_the_schedule(filed: date, days: int, due: date) -> None:
    assert CALENDAR.add_working_days(filed, days) == due


def test_twenty_working_days_over_national_day() -> None:
    # 15 Sep 2026 (Tue): Sunday 20 Sep is worked, 25-27 Sep and 1-7 Oct are off,
    # Saturday 10 Oct is worked; with weekends alone it would be 13 Oct.
    assert CALENDAR.add_working_days(date(2026, 9, 15), 20) == date(2026, 10, 19)


def test_promised_date_uses_the_china_day_of_the_injected_clock() -> None:
    # 16:30 UTC on Friday 20 Nov is 00:30 on Saturday 21 Nov in China.
    clock = FakeClock(datetime(2026, 11, 20, 16, 30, tzinfo=UTC))
    assert promised_date(CALENDAR, 1, clock=clock) == date(2026, 11, 23)
    clock = FakeClock(datetime(2026, 11, 19, 8, 0, tzinfo=UTC))
    assert promised_date(CALENDAR, 1, clock=clock) == date(2026, 11, 20)


def test_a_date_beyond_the_data_is_a_clear_error() -> None:
    with pytest.raises(ConfigError) as info:
        CALENDAR.add_working_days(date(2026, 12, 20), 20)
    message = str(info.value)
    assert "holidays.yaml" in message and "2027" in message and "\n" not in message
    with pytest.raises(ConfigError):
        CALENDAR.is_working_day(date(2024, 6, 3))


def test_a_new_year_is_added_as_data(tmp_path: Path) -> None:
    path = tmp_path / "holidays.yaml"
    path.write_text((ROOT / "config" / "holidays.yaml").read_text(encoding="utf-8") + (
        "  2030:\n"
        "    holidays: [\"2030-01-01\"]\n"
        "    workdays: []\n"), encoding="utf-8")
    calendar = load_calendar(path)
    assert calendar.add_working_days(date(2030, 12, 30), 1) == date(2030, 12, 31)
    assert not calendar.is_working_day(date(2030, 1, 1))


@pytest.mark.parametrize(("years", "words"), [
    ("  2026:\n    holidays: [\"2026-13-01\"]\n", "not a date"),
    ("  2026:\n    workdays: [\"2026-11-23\"]\n", "is a weekday"),
    ("  2026:\n    holidays: [\"2026-10-03\"]\n    workdays: [\"2026-10-03\"]\n",
     "both a holiday and a workday"),
    ("  2026:\n    holidays: [\"2029-01-01\"]\n", "not in or next to 2026"),
])
def test_bad_data_is_one_line_naming_the_file(tmp_path: Path, years: str, words: str) -> None:
    path = tmp_path / "holidays.yaml"
    path.write_text("schema_version: 1\nyears:\n" + years, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_calendar(path)
    assert str(info.value).startswith(str(path)) and words in str(info.value)


def test_shipped_data_covers_2025_and_2026() -> None:
    assert isinstance(CALENDAR, WorkCalendar)
    assert {2025, 2026} <= CALENDAR.years
    assert not CALENDAR.is_working_day(date(2026, 2, 17))   # 春节
    assert CALENDAR.is_working_day(date(2026, 5, 9))        # Saturday worked after 劳动节
