"""Local days in any IANA timezone, as UTC instants: pure.

A local day runs from its local midnight to the next one, so it lasts 23, 24 or 25
hours (DST) and may start on a half or quarter hour in UTC; zoneinfo knows each
zone's history, so every bound is exact. Bounds are fixed-width UTC text, the form the
store keeps `event_time_utc` in, so rows are placed by comparing strings.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC_TEXT: Final = "%Y-%m-%dT%H:%M:%S.%fZ"


class UnknownTimezoneError(ValueError):
    pass


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name` (e.g. `Asia/Tokyo`); UnknownTimezoneError otherwise."""
    # zoneinfo also accepts paths ("../etc"): only plain IANA names get through.
    if not name or name.startswith(("/", ".")) or ".." in name or len(name) > 64:
        raise UnknownTimezoneError(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise UnknownTimezoneError(name) from exc


def local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant of `day`'s first local moment in `tz`.

    Where midnight itself is skipped by a DST change (e.g. America/Havana), the day
    begins at the first local time that exists: zoneinfo's fold=0 of a missing time
    lands past the gap, which is that moment.
    """
    local = datetime.combine(day, time(0), tzinfo=tz)
    return local.astimezone(UTC)


def day_bounds(start: date, end: date, tz: ZoneInfo) -> list[str]:
    """UTC text of the local midnights of `start`..`end` and of the day after `end`:
    day i holds instants in [bounds[i], bounds[i + 1])."""
    days = (end - start).days + 1
    return [
        local_midnight_utc(start + timedelta(days=n), tz).strftime(UTC_TEXT)
        for n in range(days + 1)
    ]


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the ISO week holding `day`."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)
