"""Totals and facts as table rows, and back: pure.

Exact decimals travel as `str(Decimal)` (SQLite stores that text; PostgreSQL casts it to
`numeric`), waste by sub-type as a JSON object of decimal strings (sorted keys) in both
stores, so nothing is rounded on the way through either database.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

import orjson

from consumers.aggregator.facts import METRIC_NAMES, Fact, utc_time
from consumers.aggregator.folding import DailyKey, Totals

EMPTY_WASTE: Final = "{}"
_ZERO: Final = Decimal(0)
_NO_METRIC: Final[tuple[None, ...]] = (None,) * len(METRIC_NAMES)


def waste_text(waste: dict[str, Decimal]) -> str:
    if not waste:
        return EMPTY_WASTE
    return orjson.dumps(
        {name: str(value) for name, value in waste.items()}, option=orjson.OPT_SORT_KEYS
    ).decode()


def waste_of(stored: str | bytes | dict[str, Any] | None) -> dict[str, Decimal]:
    """A stored waste object (JSON text, or the dict psycopg decodes jsonb into)."""
    if not stored:
        return {}
    data = orjson.loads(stored) if isinstance(stored, str | bytes) else stored
    return {name: Decimal(value) for name, value in data.items()}


def daily_row(totals: Totals) -> tuple[str | int | None, ...]:
    """The `daily_totals` row of `totals` (consumers.aggregator.columns.DAILY_COLUMNS)."""
    metrics = totals.metrics
    return (
        *totals.key,
        totals.student_sourced_id,
        totals.email,
        totals.course_id,
        totals.course_name,
        totals.events,
        *(str(metrics.get(name, _ZERO)) for name in METRIC_NAMES),
        waste_text(totals.waste_by_sub_type),
    )


def daily_json(totals: Totals) -> list[Any]:
    """`daily_row` as a JSON array element: the waste object nested, not as text."""
    metrics = totals.metrics
    return [
        *totals.key,
        totals.student_sourced_id,
        totals.email,
        totals.course_id,
        totals.course_name,
        totals.events,
        *[str(metrics.get(name, _ZERO)) for name in METRIC_NAMES],
        {name: str(value) for name, value in totals.waste_by_sub_type.items()},
    ]


def totals_of_row(row: Sequence[Any]) -> Totals:
    """Totals from a `daily_totals` row in DAILY_COLUMNS order (text or numeric metrics,
    date as text or `datetime.date`). Every metric column is present: absent is zero."""
    key: DailyKey = (str(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]))
    return Totals(
        key=key,
        events=int(row[9]),
        metrics={
            name: Decimal(value) for name, value in zip(METRIC_NAMES, row[10:19], strict=True)
        },
        waste_by_sub_type=waste_of(row[19]),
        student_sourced_id=row[5],
        email=row[6],
        course_id=row[7],
        course_name=row[8],
    )


def fact_row(fact: Fact) -> tuple[str | None, ...]:
    """The `facts` row of one counted event (consumers.aggregator.columns.FACT_COLUMNS).
    Metrics the event did not send are NULL."""
    metrics = fact.metrics
    values = (
        _NO_METRIC
        if not metrics
        else tuple(
            None if (value := metrics.get(name)) is None else str(value) for name in METRIC_NAMES
        )
    )
    return (
        fact.event_id,
        fact.event_type,
        fact.event_time,
        fact.event_time_utc or utc_time(fact.event_time),
        fact.date,
        fact.student_id,
        fact.student_sourced_id,
        fact.email,
        fact.subject,
        fact.app,
        fact.course_id,
        fact.course_name,
        fact.activity_id,
        fact.activity_name,
        *values,
        waste_text(fact.waste_by_sub_type) if fact.waste_by_sub_type else None,
    )
