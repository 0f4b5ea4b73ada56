"""Query parameters -> a checked request, with one precise error per problem: pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from consumers.analytics.errors import ParameterError
from consumers.analytics.reader import Student
from consumers.analytics.timezones import UnknownTimezoneError, zone

DEFAULT_TIMEZONE = "UTC"
# Day bounds are fixed-width UTC text and a range's ends +-1 day must exist as dates.
FIRST_YEAR, LAST_YEAR = 1000, 9998


@dataclass(frozen=True, slots=True)
class Range:
    start: date
    end: date


def _path(name: str) -> str:
    return f"$.query.{name}"


def student(student_id: str | None, email: str | None) -> Student:
    if (student_id is None) == (email is None):
        raise ParameterError(
            "give exactly one of studentId and email",
            path=_path("studentId"),
            code="student_required" if student_id is None else "student_ambiguous",
        )
    value = student_id if student_id is not None else email
    name = "studentId" if student_id is not None else "email"
    _check_text(name, value, 512)
    return Student.of(student_id, email)


def _check_text(name: str, value: str | None, longest: int) -> None:
    if not value or len(value) > longest:
        raise ParameterError(f"{name} must be 1 to {longest} characters", path=_path(name))
    if "\x00" in value:
        # No store holds U+0000 (the aggregator writes U+FFFD): it cannot match anything.
        raise ParameterError(f"{name} must not contain U+0000", path=_path(name))


def timezone(name: str | None) -> tuple[str, ZoneInfo]:
    text = name or DEFAULT_TIMEZONE
    try:
        return text, zone(text)
    except UnknownTimezoneError:
        raise ParameterError(
            f"unknown timezone {text[:64]!r}: use an IANA name such as America/New_York",
            path=_path("timezone"),
            code="unknown_timezone",
        ) from None


def day(name: str, value: str | None) -> date:
    if value is None:
        raise ParameterError(f"{name} is required (YYYY-MM-DD)", path=_path(name), code="required")
    try:
        if len(value) != 10:
            raise ValueError(value)
        parsed = date.fromisoformat(value)
    except ValueError:
        raise ParameterError(
            f"{name} must be a date YYYY-MM-DD, got {value[:32]!r}",
            path=_path(name),
            code="malformed_date",
        ) from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise ParameterError(
            f"{name} must be in the years {FIRST_YEAR} to {LAST_YEAR}, got {value}",
            path=_path(name),
            code="date_out_of_range",
        )
    return parsed


def date_range(start: str | None, end: str | None, max_days: int) -> Range:
    first, last = day("startDate", start), day("endDate", end)
    if last < first:
        raise ParameterError(
            f"endDate {last} is before startDate {first}",
            path=_path("endDate"),
            code="end_before_start",
        )
    if (last - first).days + 1 > max_days:
        raise ParameterError(
            f"at most {max_days} days per request, asked {(last - first).days + 1}",
            path=_path("endDate"),
            code="range_too_long",
        )
    return Range(first, last)


def optional_range(start: str | None, end: str | None, max_days: int) -> Range | None:
    if start is None and end is None:
        return None
    return date_range(start, end, max_days)


def required_text(name: str, value: str | None) -> str:
    if not value:
        raise ParameterError(f"{name} is required", path=_path(name), code="required")
    _check_text(name, value, 2048)
    return value
