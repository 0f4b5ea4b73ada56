"""Query parameters -> a checked request, with one precise error per problem: pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from consumers.analytics.errors import ParameterError
from consumers.analytics.reader import Student
from consumers.analytics.timezones import UnknownTimezoneError, zone

DEFAULT_TIMEZONE = "UTC"


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
    if not value or len(value) > 512:
        name = "studentId" if student_id is not None else "email"
        raise ParameterError(f"{name} must be 1 to 512 characters", path=_path(name))
    return Student.of(student_id, email)


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
        return date.fromisoformat(value)
    except ValueError:
        raise ParameterError(
            f"{name} must be a date YYYY-MM-DD, got {value[:32]!r}",
            path=_path(name),
            code="malformed_date",
        ) from None


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
    if len(value) > 2048:
        raise ParameterError(f"{name} is longer than 2048 characters", path=_path(name))
    return value
