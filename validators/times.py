"""Times nobody can have meant: an `eventTime` or `sendTime` before a floor, or later
than the server's clock plus a skew.

A well-formed `0001-01-01T00:00:00Z` or `9999-12-31T00:00:00Z` passes every schema and
would be counted into the daily facts of year 1 or 9999. The schema checks the form;
these bounds check the value, once the form is known to be right.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from validators.errors import ValidationIssue, echo

DEFAULT_EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
DEFAULT_MAX_FUTURE_S: Final = 300.0

# More than microseconds, or a leap second: what datetime.fromisoformat cannot take.
_UNUSUAL: Final = re.compile(r"(:60)|(\.\d{7,})")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TimeBounds:
    """`earliest` is the floor; `max_future_s` how far past `clock()` a time may be
    (clients' clocks drift, and an event is sent after it happened, not before)."""

    earliest: datetime = DEFAULT_EARLIEST
    max_future_s: float = DEFAULT_MAX_FUTURE_S
    clock: Callable[[], datetime] = field(default=_utc_now, compare=False)

    def __post_init__(self) -> None:
        if self.earliest.tzinfo is None:
            raise ValueError("earliest must carry a time zone")
        if self.max_future_s < 0:
            raise ValueError("max_future_s must be at least 0")


def parse_date_time(text: str) -> datetime | None:
    """An RFC 3339 date-time (already checked by the schema's format) as an aware datetime."""
    unusual = _UNUSUAL.search(text)
    if unusual is not None:
        # A leap second is the last second of its minute; nanoseconds are cut to micro.
        text = _UNUSUAL.sub(lambda m: ":59" if m[1] else m[2][:7], text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None  # not a date-time: the schema reports it
    return moment if moment.tzinfo is not None else None


@dataclass(slots=True)
class TimeWindow:
    """The bounds at one moment (read once per envelope), also as text: most clients send
    `YYYY-MM-DDTHH:MM:SS[.fff]Z`, which compares as text in a fraction of a parse."""

    bounds: TimeBounds
    now: datetime
    latest: datetime
    earliest_text: str
    latest_text: str

    @classmethod
    def at(cls, bounds: TimeBounds, now: datetime) -> TimeWindow:
        latest = now + timedelta(seconds=bounds.max_future_s)
        return cls(bounds, now, latest, _seconds_text(bounds.earliest), _seconds_text(latest))

    def issue(
        self, value: object, index: int | None, path: str, name: str
    ) -> ValidationIssue | None:
        """The problem with one time field, if its value is out of bounds."""
        if not isinstance(value, str):
            return None
        if len(value) >= 20 and value[10] == "T" and value[19] in ".Zz" and value[-1] in "Zz":
            # UTC with whole seconds first: compare to the second as text; only a time in
            # the very second of a bound needs its fraction looked at, by a full parse.
            seconds = value[:19]
            if self.earliest_text <= seconds < self.latest_text:
                return None
        moment = parse_date_time(value)
        if moment is None:
            return None  # not a date-time: the schema reports it
        if moment < self.bounds.earliest:
            earliest = self.bounds.earliest.isoformat().replace("+00:00", "Z")
            return ValidationIssue(
                index,
                path,
                "time_too_early",
                f"{name} {echo(value)} is before {earliest}, the earliest accepted",
            )
        if moment > self.latest:
            clock = self.now.isoformat(timespec="seconds").replace("+00:00", "Z")
            return ValidationIssue(
                index,
                path,
                "time_in_future",
                f"{name} {echo(value)} is more than {self.bounds.max_future_s:g} s after the "
                f"server's clock ({clock}); send the time the event happened",
            )
        return None


def _seconds_text(moment: datetime) -> str:
    # One window per request: strftime each time was a few percent of a 1-event post.
    return _whole_seconds_text(moment.replace(microsecond=0))


@functools.lru_cache(maxsize=16)
def _whole_seconds_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
