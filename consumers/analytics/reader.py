"""What the service asks of a store: the facts of one student in a UTC range.

Readers return plain tuples in the order of the columns asked for (faster than
objects for the ten thousand rows of a month); `event_time_utc` is always the
fixed-width UTC text of consumers.analytics.timezones, metrics are decimal text or
`Decimal` (None when the event did not send them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from consumers.aggregator.columns import METRICS
from consumers.analytics.answers import Days

# What /activity needs: when, where, how much.
ACTIVITY_COLUMNS: Final = ("event_time_utc", "subject", "app", *METRICS)
# What /facts/weekly lists per fact.
FACT_COLUMNS: Final = (
    "event_time_utc",
    "event_id",
    "event_type",
    "event_time",
    "subject",
    "app",
    "course_id",
    "course_name",
    "activity_id",
    "activity_name",
    *METRICS,
    "waste_by_sub_type",
)
TOTAL_COLUMNS: Final = ("events", *METRICS)


@dataclass(frozen=True, slots=True)
class Student:
    """Which column names the student: the sourcedId, the actor.id URL or the email."""

    column: str
    value: str

    @classmethod
    def of(cls, student_id: str | None, email: str | None) -> Student:
        if email is not None:
            return cls("email", email)
        assert student_id is not None
        # A URL is an actor.id as sent; anything else is a OneRoster sourcedId.
        return cls("student_id" if "://" in student_id else "student_sourced_id", student_id)


class FactReader(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    async def ping(self) -> None:
        """Raises StoreUnavailableError when the store does not answer."""

    async def facts(
        self,
        student: Student,
        columns: Sequence[str],
        start_utc: str,
        end_utc: str,
        course_id: str | None = None,
    ) -> list[tuple[Any, ...]]:
        """Rows with start_utc <= event_time_utc < end_utc, in time order."""

    async def activity(self, student: Student, days: Days) -> list[tuple[Any, ...]]:
        """(local date, subject, app, *sums in METRICS order) of the days' facts."""

    async def course_totals(self, student: Student, course_id: str) -> list[tuple[Any, ...]]:
        """TOTAL_COLUMNS of every daily_totals row of the student in the course."""
