"""Folding facts into running totals per (student, UTC date, subject, app, course): pure.

Totals are absolute: the daily topic carries the whole sum for a key each time it
changes, so a re-published record is harmless and a compacted topic keeps the truth.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

import orjson

from consumers.aggregator.facts import METRIC_NAMES, Fact

DailyKey = tuple[str, str, str, str, str]

_ZERO: Final = Decimal(0)


@dataclass(frozen=True, slots=True)
class Totals:
    """Running totals of one daily key, plus the descriptive fields last seen for it."""

    key: DailyKey
    events: int = 0
    metrics: dict[str, Decimal] = field(default_factory=dict)
    waste_by_sub_type: dict[str, Decimal] = field(default_factory=dict)
    student_sourced_id: str | None = None
    email: str | None = None
    course_id: str | None = None
    course_name: str | None = None


def _add(left: Mapping[str, Decimal], right: Mapping[str, Decimal]) -> dict[str, Decimal]:
    summed = dict(left)
    for name, value in right.items():
        summed[name] = summed.get(name, _ZERO) + value
    return summed


def add(base: Totals, delta: Totals) -> Totals:
    """`base` plus `delta`; descriptive fields of the later (`delta`) win when present."""
    return Totals(
        base.key,
        base.events + delta.events,
        _add(base.metrics, delta.metrics),
        _add(base.waste_by_sub_type, delta.waste_by_sub_type),
        delta.student_sourced_id or base.student_sourced_id,
        delta.email or base.email,
        delta.course_id or base.course_id,
        delta.course_name or base.course_name,
    )


def of_fact(fact: Fact) -> Totals:
    return Totals(
        key=fact.daily_key,
        events=1,
        metrics=dict(fact.metrics),
        waste_by_sub_type=dict(fact.waste_by_sub_type),
        student_sourced_id=fact.student_sourced_id,
        email=fact.email,
        course_id=fact.course_id,
        course_name=fact.course_name,
    )


def fold(facts: Iterable[Fact]) -> dict[DailyKey, Totals]:
    """The change each daily key gets from `facts`, in order (later descriptions win).

    The same as folding `of_fact` with `add`, without two Totals per fact: running
    sums per key in plain lists, one Totals per key at the end (once per event, hot)."""
    running: dict[DailyKey, list[Any]] = {}
    for fact in facts:
        key = (
            fact.student_id,
            fact.date,
            fact.subject,
            fact.app or "",
            fact.course_id or fact.course_name or "",
        )
        sums = running.get(key)
        if sums is None:
            running[key] = [
                1,
                dict(fact.metrics),
                dict(fact.waste_by_sub_type),
                fact.student_sourced_id,
                fact.email,
                fact.course_id,
                fact.course_name,
            ]
            continue
        sums[0] += 1
        metrics, waste = sums[1], sums[2]
        for name, value in fact.metrics.items():
            metrics[name] = metrics.get(name, _ZERO) + value
        for name, value in fact.waste_by_sub_type.items():
            waste[name] = waste.get(name, _ZERO) + value
        sums[3] = fact.student_sourced_id or sums[3]
        sums[4] = fact.email or sums[4]
        sums[5] = fact.course_id or sums[5]
        sums[6] = fact.course_name or sums[6]
    return {key: Totals(key, *sums) for key, sums in running.items()}


def encode_key(key: DailyKey) -> bytes:
    """The Kafka key and store key of a daily row: a JSON array of the five parts."""
    return orjson.dumps(list(key))


def decode_key(raw: bytes | str) -> DailyKey:
    parts = orjson.loads(raw)
    if not (isinstance(parts, list) and len(parts) == 5 and all(isinstance(p, str) for p in parts)):
        raise ValueError(f"not a daily key: {raw!r}")
    return (parts[0], parts[1], parts[2], parts[3], parts[4])


def to_stored(totals: Totals) -> bytes:
    """Store form: decimals as strings, so nothing is rounded on the way through the DB."""
    return orjson.dumps(
        {
            "events": totals.events,
            "metrics": {name: str(value) for name, value in totals.metrics.items()},
            "wasteBySubType": {name: str(v) for name, v in totals.waste_by_sub_type.items()},
            "studentSourcedId": totals.student_sourced_id,
            "email": totals.email,
            "courseId": totals.course_id,
            "courseName": totals.course_name,
        }
    )


def from_stored(key: DailyKey, stored: bytes | str) -> Totals:
    data: dict[str, Any] = orjson.loads(stored)
    return Totals(
        key=key,
        events=data["events"],
        metrics={name: Decimal(value) for name, value in data["metrics"].items()},
        waste_by_sub_type={name: Decimal(v) for name, v in data["wasteBySubType"].items()},
        student_sourced_id=data["studentSourcedId"],
        email=data["email"],
        course_id=data["courseId"],
        course_name=data["courseName"],
    )


_JSON_INT_MIN: Final = -(2**63)
_JSON_INT_MAX: Final = 2**64 - 1  # orjson writes integers in [-2^63, 2^64 - 1] only


def json_number(value: Decimal) -> int | float:
    """Whole numbers stay integers (within what orjson writes: a larger sum raised in the
    middle of a batch); others, and wider whole numbers, become the nearest double."""
    if value == value.to_integral_value():
        whole = int(value)
        if _JSON_INT_MIN <= whole <= _JSON_INT_MAX:
            return whole
    return float(value)


def daily_value(totals: Totals) -> dict[str, Any]:
    """The `timeback.facts.daily` record value (see docs/aggregator.md)."""
    student_id, date, subject, app, _ = totals.key
    value: dict[str, Any] = {
        "studentId": student_id,
        "studentSourcedId": totals.student_sourced_id,
        "email": totals.email,
        "date": date,
        "subject": subject,
        "app": app or None,
        "courseId": totals.course_id,
        "courseName": totals.course_name,
        "events": totals.events,
    }
    for name in METRIC_NAMES:
        value[name] = json_number(totals.metrics.get(name, Decimal(0)))
    value["wasteBySubType"] = {
        name: json_number(amount) for name, amount in sorted(totals.waste_by_sub_type.items())
    }
    return value
