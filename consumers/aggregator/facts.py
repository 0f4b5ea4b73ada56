"""Event -> fact: the pure mapping from one validated Timeback event to the numbers it adds.

No I/O here. Numbers are `Decimal` built from the JSON number's shortest text, so sums
are exact and do not depend on how events are split into batches (floats would).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import orjson

from validators.formats import oneroster_user_sourced_id

TIMEBACK_PROFILE: Final = "TimebackProfile"
FACT_EVENT_TYPES: Final = frozenset({"ActivityEvent", "TimeSpentEvent"})

# Metric item type -> fact field. Time metrics are seconds, so their names say so.
ACTIVITY_METRICS: Final[dict[str, str]] = {
    "xpEarned": "xpEarned",
    "totalQuestions": "totalQuestions",
    "correctQuestions": "correctQuestions",
    "masteredUnits": "masteredUnits",
}
TIME_METRICS: Final[dict[str, str]] = {
    "active": "activeSeconds",
    "inactive": "inactiveSeconds",
    "waste": "wasteSeconds",
    "unknown": "unknownSeconds",
    "anti-pattern": "antiPatternSeconds",
}
METRIC_NAMES: Final[tuple[str, ...]] = (*ACTIVITY_METRICS.values(), *TIME_METRICS.values())

_DATE_TIME: Final = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:([Zz])|([+-])(\d\d):(\d\d))"
)


class FactError(ValueError):
    """A Timeback event that cannot become a fact (the front door should have refused it)."""


@dataclass(frozen=True, slots=True)
class Fact:
    """One counted Timeback event, flattened for the data team."""

    event_id: str
    event_type: str
    event_time: str
    date: str
    student_id: str
    student_sourced_id: str | None
    email: str | None
    subject: str
    app: str | None
    course_id: str | None
    course_name: str | None
    activity_id: str | None
    activity_name: str | None
    metrics: dict[str, Decimal] = field(default_factory=dict)
    waste_by_sub_type: dict[str, Decimal] = field(default_factory=dict)

    @property
    def course_key(self) -> str:
        """Courses are named by id when sent, else by name: the key must not depend on
        which descriptive fields an app happened to fill in."""
        return self.course_id or self.course_name or ""

    @property
    def daily_key(self) -> tuple[str, str, str, str, str]:
        return (self.student_id, self.date, self.subject, self.app or "", self.course_key)


def is_fact_event(event: Mapping[str, Any]) -> bool:
    """Timeback events become facts; every other Caliper event is only counted."""
    return event.get("profile") == TIMEBACK_PROFILE and event.get("type") in FACT_EVENT_TYPES


def digest(event: Mapping[str, Any]) -> bytes:
    """Digest of the canonical event content (sorted keys): equal events, equal digests,
    whatever envelope or key order they came in."""
    return hashlib.blake2b(
        orjson.dumps(event, option=orjson.OPT_SORT_KEYS), digest_size=16
    ).digest()


def sourced_id(actor_id: str) -> str | None:
    """The OneRoster sourcedId when the actor is a `.../users/{sourcedId}` URL."""
    return oneroster_user_sourced_id(actor_id)


def utc_date(event_time: str) -> str:
    """UTC calendar date of an RFC 3339 time with any offset and fraction length.

    Parsed by hand: `datetime.fromisoformat` refuses a leap second (`:60`), which the
    validator accepts, and the date is all we need.
    """
    match = _DATE_TIME.fullmatch(event_time)
    if match is None:
        raise FactError(f"eventTime is not RFC 3339: {event_time[:64]!r}")
    year, month, day, hour, minute, second = (int(match[i]) for i in range(1, 7))
    try:
        moment = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except ValueError as exc:
        raise FactError(f"eventTime is not a real time: {event_time[:64]!r}") from exc
    if match[8]:
        offset = timedelta(hours=int(match[9]), minutes=int(match[10]))
        moment -= offset if match[8] == "+" else -offset
    return moment.date().isoformat()


def number(value: object) -> Decimal:
    """A JSON number as the exact decimal its sender wrote (shortest round-trip text)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FactError(f"metric value is not a number: {value!r}")
    result = Decimal(value) if isinstance(value, int) else Decimal(repr(value))
    if not result.is_finite():
        raise FactError("metric value is not finite")
    return result


def _text(mapping: object, key: str) -> str | None:
    # `dict`, not `Mapping`: events come from orjson, and an ABC check costs ~10x more.
    value = mapping.get(key) if isinstance(mapping, dict) else None
    return value if isinstance(value, str) else None


def _metrics(event_type: str, items: object) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    names = ACTIVITY_METRICS if event_type == "ActivityEvent" else TIME_METRICS
    metrics: dict[str, Decimal] = {}
    waste: dict[str, Decimal] = {}
    if not isinstance(items, list):
        raise FactError("generated.items is not a list")
    for item in items:
        kind = _text(item, "type")
        if kind not in names:
            raise FactError(f"unknown metric type for {event_type}: {kind!r}")
        value = number(item.get("value"))
        name = names[kind]
        # Sum rather than overwrite: time items of one type may repeat with different
        # subTypes (waste/eating, waste/break), and their sum is the type's total.
        metrics[name] = metrics.get(name, Decimal(0)) + value
        sub_type = _text(item, "subType")
        if kind == "waste" and sub_type is not None:
            waste[sub_type] = waste.get(sub_type, Decimal(0)) + value
    return metrics, waste


def to_fact(event: Mapping[str, Any]) -> Fact:
    """The fact of one Timeback event (`is_fact_event` is true). Raises FactError."""
    event_type = event.get("type")
    event_id, event_time = _text(event, "id"), _text(event, "eventTime")
    actor, obj = event.get("actor"), event.get("object")
    student_id = _text(actor, "id")
    subject = _text(obj, "subject")
    if not (isinstance(event_type, str) and event_id and event_time and student_id and subject):
        raise FactError("a Timeback event needs type, id, eventTime, actor.id, object.subject")
    assert isinstance(obj, dict)  # _text found object.subject
    generated = event.get("generated")
    items = generated.get("items") if isinstance(generated, dict) else None
    metrics, waste = _metrics(event_type, items)
    activity = obj.get("activity")
    course = obj.get("course")
    return Fact(
        event_id=event_id,
        event_type=event_type,
        event_time=event_time,
        date=utc_date(event_time),
        student_id=student_id,
        student_sourced_id=sourced_id(student_id),
        email=_text(actor, "email"),
        subject=subject,
        app=_text(obj.get("app"), "name"),
        course_id=_text(course, "id"),
        course_name=_text(course, "name"),
        # The activity context object stands for the activity when no activity.id is sent.
        activity_id=_text(activity, "id") or _text(obj, "id"),
        activity_name=_text(activity, "name"),
        metrics=metrics,
        waste_by_sub_type=waste,
    )
