"""Local days as UTC bounds, hand-computed from each zone's offsets."""

from __future__ import annotations

from datetime import date

import pytest

from consumers.analytics.answers import Days
from consumers.analytics.timezones import UnknownTimezoneError, day_bounds, week_of, zone


def bounds(name: str, start: str, end: str) -> list[str]:
    return day_bounds(date.fromisoformat(start), date.fromisoformat(end), zone(name))


def test_tokyo_days_start_at_15_utc_the_day_before() -> None:
    assert bounds("Asia/Tokyo", "2026-03-03", "2026-03-03") == [
        "2026-03-02T15:00:00.000000Z",
        "2026-03-03T15:00:00.000000Z",
    ]


def test_new_york_spring_forward_day_has_23_hours_and_fall_back_25() -> None:
    # 2026-03-08: EST (-5) until 02:00, then EDT (-4); 2026-11-01: back to EST.
    assert bounds("America/New_York", "2026-03-08", "2026-03-09") == [
        "2026-03-08T05:00:00.000000Z",
        "2026-03-09T04:00:00.000000Z",
        "2026-03-10T04:00:00.000000Z",
    ]
    assert bounds("America/New_York", "2026-11-01", "2026-11-01") == [
        "2026-11-01T04:00:00.000000Z",
        "2026-11-02T05:00:00.000000Z",
    ]


def test_kolkata_half_hour_offset() -> None:
    days = Days(date(2026, 3, 4), bounds("Asia/Kolkata", "2026-03-04", "2026-03-05"))
    assert days.bounds[0] == "2026-03-03T18:30:00.000000Z"
    assert days.date_of("2026-03-04T18:29:59.999999Z") == "2026-03-04"
    assert days.date_of("2026-03-04T18:30:00.000000Z") == "2026-03-05"


def test_a_day_whose_midnight_does_not_exist_starts_when_the_clock_resumes() -> None:
    # Havana springs forward at 00:00 -> 01:00 (CST -5 to CDT -4) on 2026-03-08.
    assert bounds("America/Havana", "2026-03-08", "2026-03-08")[0] == "2026-03-08T05:00:00.000000Z"


def test_utc_days_are_utc() -> None:
    days = Days(date(2026, 3, 2), bounds("UTC", "2026-03-02", "2026-03-03"))
    assert days.date_of("2026-03-02T23:59:59.999999Z") == "2026-03-02"
    assert days.date_of("2026-03-03T00:00:00.000000Z") == "2026-03-03"


@pytest.mark.parametrize(
    "name", ["", "Mars/Olympus", "../etc/localtime", "/etc/localtime", "x" * 80]
)
def test_unknown_or_path_like_zones_are_refused(name: str) -> None:
    with pytest.raises(UnknownTimezoneError):
        zone(name)


def test_iso_week_runs_monday_to_sunday() -> None:
    assert week_of(date(2026, 3, 4)) == (date(2026, 3, 2), date(2026, 3, 8))
    assert week_of(date(2026, 3, 8)) == (date(2026, 3, 2), date(2026, 3, 8))
