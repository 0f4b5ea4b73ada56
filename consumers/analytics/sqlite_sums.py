"""Exact daily sums from SQLite, computed mostly by SQLite.

SQLite keeps metrics as exact decimal text, and its `sum()` of text is a double. So
the query groups by local date (a CASE over the day bounds, evaluated in C), subject
and app, sums the whole-number values as integers (exact in SQLite), and hands back
the other values as one comma-joined text per group; Python adds those as Decimals,
each distinct value once. A month of facts is one pass and a few hundred rows back.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any, Final

from consumers.aggregator.columns import METRICS
from consumers.analytics.answers import Days
from consumers.analytics.reader import Student

# Summed as integers: an optional minus and at most 12 characters of digits (str(Decimal)
# never writes "+" or spaces). Exponent forms such as "1E+3" and wider numbers take the
# exact text path: CAST stops at 2^63 - 1 and a sum of a million 12-digit values stays
# below it, where SQLite's integer sum() would raise on overflow.
_WHOLE_DIGITS: Final = 12


def _not_whole(column: str) -> str:
    return f"({column} GLOB '*[^0-9-]*' OR length({column}) > {_WHOLE_DIGITS})"


def _metric_columns(column: str) -> str:
    not_whole = _not_whole(column)
    whole = f"sum(CASE WHEN {not_whole} THEN NULL ELSE CAST({column} AS INTEGER) END)"
    other = f"group_concat(CASE WHEN {not_whole} THEN {column} END, ',')"
    return f"{whole}, {other}"


def activity_query(student: Student, days: Days) -> tuple[str, list[str]]:
    """SQL and parameters: (date, subject, app, then per metric: whole sum, other texts)."""
    bounds = days.bounds
    day, params = days.day_case("?", "?")
    sql = (
        f"SELECT {day} AS day, subject, coalesce(app, ''),"
        f" {', '.join(_metric_columns(column) for column in METRICS)}"
        f" FROM facts WHERE {student.column} = ? AND event_time_utc >= ? AND event_time_utc < ?"
        " GROUP BY 1, 2, 3"
    )
    return sql, [*params, student.value, bounds[0], bounds[-1]]


def exact_sums(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """(date, subject, app, whole, others, whole, others...) -> (date, subject, app, *sums)."""
    sums: list[Decimal] = []
    for i in range(3, len(row), 2):
        total = Decimal(row[i] or 0)
        if row[i + 1]:
            for text, count in Counter(row[i + 1].split(",")).items():
                total += Decimal(text) * count
        sums.append(total)
    return (row[0], row[1], row[2], *sums)
