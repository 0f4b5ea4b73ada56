"""Rows -> the API's answers: grouping by local date, exact sums. Pure.

Sums are Decimal (SQLite keeps exact decimal text, PostgreSQL numeric), written as
JSON numbers the way the aggregator's topics write them (whole numbers as integers).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

import orjson

from consumers.aggregator.columns import METRIC_COLUMNS
from consumers.aggregator.folding import json_number

METRIC_NAMES: Final = tuple(METRIC_COLUMNS)
ACTIVITY_METRICS: Final = METRIC_NAMES[:4]
TIME_METRICS: Final = METRIC_NAMES[4:]
_ZERO: Final = Decimal(0)

Sums = list[Decimal]


def _zeros() -> Sums:
    return [_ZERO] * len(METRIC_NAMES)


def _add(sums: Sums, values: Sequence[Any]) -> None:
    for i, value in enumerate(values):
        if value is not None:
            sums[i] += value if isinstance(value, Decimal) else Decimal(value)


def metrics_body(sums: Sums) -> dict[str, dict[str, int | float]]:
    named = dict(zip(METRIC_NAMES, sums, strict=True))
    return {
        "activityMetrics": {name: json_number(named[name]) for name in ACTIVITY_METRICS},
        "timeSpentMetrics": {name: json_number(named[name]) for name in TIME_METRICS},
    }


class Days:
    """Local dates start..end and their UTC bounds (consumers.analytics.timezones)."""

    def __init__(self, start: date, bounds: Sequence[str]) -> None:
        self.start = start
        self.bounds = bounds

    def date_of(self, utc_text: str) -> str:
        index = bisect_right(self.bounds, utc_text) - 1
        return (self.start + timedelta(days=index)).isoformat()

    def day_case(self, bound: str, label: str) -> tuple[str, list[str]]:
        """A SQL `CASE` that names each row's local day from these bounds, and its
        parameters (`bound`/`label`: the placeholders). Every store cuts days with the
        bounds computed here from zoneinfo, never with its own zone rules (PostgreSQL
        reads `CET` as a fixed-offset abbreviation; Python's CET has summer time)."""
        dates = [(self.start + timedelta(days=i)).isoformat() for i in range(len(self.bounds) - 1)]
        whens = " ".join(f"WHEN event_time_utc < {bound} THEN {label}" for _ in dates)
        params = [part for pair in zip(self.bounds[1:], dates, strict=True) for part in pair]
        return f"CASE {whens} END", params


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def activity(groups: Iterable[Sequence[Any]]) -> dict[str, Any]:
    """(date, subject, app, *sums) rows -> {date: {subject: {metrics..., "apps": {...}}}}."""
    by_subject: dict[tuple[str, str], Sums] = {}
    by_app: dict[tuple[str, str, str], Sums] = {}
    for day, subject, app, *values in groups:
        sums = [_ZERO if v is None else _decimal(v) for v in values]
        by_app[(day, subject, app or "")] = sums
        total = by_subject.get((day, subject))
        if total is None:
            by_subject[(day, subject)] = list(sums)
        else:
            for i, value in enumerate(sums):
                total[i] += value
    facts: dict[str, dict[str, Any]] = {}
    for (day, subject), sums in sorted(by_subject.items()):
        facts.setdefault(day, {})[subject] = {**metrics_body(sums), "apps": {}}
    for (day, subject, app), sums in sorted(by_app.items()):
        facts[day][subject]["apps"][app] = metrics_body(sums)
    return facts


def _waste(value: Any) -> dict[str, int | float]:
    if value is None:
        return {}
    parsed = orjson.loads(value) if isinstance(value, str | bytes) else value
    return {name: json_number(Decimal(str(amount))) for name, amount in sorted(parsed.items())}


def weekly(rows: Iterable[Sequence[Any]], days: Days) -> dict[str, list[dict[str, Any]]]:
    """FACT_COLUMNS rows -> {date: [fact, ...]} in time order; every day of the week."""
    facts: dict[str, list[dict[str, Any]]] = {
        (days.start + timedelta(days=n)).isoformat(): [] for n in range(len(days.bounds) - 1)
    }
    for row in rows:
        metrics = {
            name: json_number(value if isinstance(value, Decimal) else Decimal(value))
            for name, value in zip(METRIC_NAMES, row[10:19], strict=True)
            if value is not None
        }
        facts[days.date_of(row[0])].append(
            {
                "eventId": row[1],
                "eventType": row[2],
                "eventTime": row[3],
                "subject": row[4],
                "app": row[5],
                "courseId": row[6],
                "courseName": row[7],
                "activityId": row[8],
                "activityName": row[9],
                "metrics": metrics,
                "wasteBySubType": _waste(row[19]),
            }
        )
    return facts


def totals(rows: Iterable[Sequence[Any]], *, counted: bool) -> dict[str, Any]:
    """Metric rows (or TOTAL_COLUMNS rows when `counted`: events first) -> one total."""
    sums = _zeros()
    events = 0
    for row in rows:
        events += int(row[0]) if counted else 1
        _add(sums, row[1:] if counted else row)
    return {"events": events, **metrics_body(sums)}
