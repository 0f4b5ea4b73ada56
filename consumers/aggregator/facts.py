"""Event -> fact: the pure mapping from one validated Timeback event to the numbers it adds.

No I/O here. Numbers are `Decimal` built from the JSON number's shortest text, so sums
are exact and do not depend on how events are split into batches (floats would).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final

import orjson

from validators.formats import oneroster_user_sourced_id

TIMEBACK_PROFILE: Final = "TimebackProfile"
FACT_EVENT_TYPES: Final = frozenset({"ActivityEvent", "TimeSpentEvent"})
_CACHE_SIZE: Final = 65_536
_ZERO: Final = Decimal(0)

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
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([Zz])|([+-])(\d\d):(\d\d))"
)


class FactError(ValueError):
    """A Timeback event that cannot become a fact (the front door should have refused it)."""


@dataclass(slots=True)
class Fact:
    """One counted Timeback event, flattened for the data team. Treat as immutable (not
    `frozen`: a frozen dataclass's __init__ costs ~2 µs, once per event)."""

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
    # Fixed width `YYYY-MM-DDTHH:MM:SS.ffffffZ` (see utc_time); "" when built by hand.
    event_time_utc: str = ""

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


@lru_cache(maxsize=_CACHE_SIZE)
def sourced_id(actor_id: str) -> str | None:
    """The OneRoster sourcedId when the actor is a `.../users/{sourcedId}` URL (cached:
    the same students send event after event)."""
    return oneroster_user_sourced_id(actor_id)


@lru_cache(maxsize=_CACHE_SIZE)
def _real_hour(prefix: str) -> bool:
    """`YYYY-MM-DDTHH` names a real hour (cached: events of one hour share it)."""
    try:
        datetime(int(prefix[:4]), int(prefix[5:7]), int(prefix[8:10]), int(prefix[11:13]))
    except ValueError:
        return False
    return True


def utc_time(event_time: str) -> str:
    """UTC time of an RFC 3339 time with any offset, fixed width so that text sorts as
    time: `YYYY-MM-DDTHH:MM:SS.ffffffZ`. A fraction beyond microseconds is truncated; a
    leap second (`:60`, which the validator accepts) is clamped to `:59.999999`.

    Parsed by hand: `datetime.fromisoformat` refuses the leap second.
    """
    match = _DATE_TIME.fullmatch(event_time)
    if match is None:
        raise FactError(f"eventTime is not RFC 3339: {event_time[:64]!r}")
    fraction = match[7]
    micro = fraction[:6].ljust(6, "0") if fraction else "000000"
    clock = event_time[11:19]
    if clock[6:] >= "60":
        clock, micro = f"{clock[:6]}59", "999999"
    if match[8] and clock[3:5] < "60" and _real_hour(event_time[:13]):
        # UTC already (the usual case): no arithmetic, only the fixed-width text.
        return f"{event_time[:10]}T{clock}.{micro}Z"
    try:
        moment = datetime.fromisoformat(f"{event_time[:10]}T{clock}.{micro}")
        if match[9]:
            offset = timedelta(hours=int(match[10]), minutes=int(match[11]))
            moment -= offset if match[9] == "+" else -offset
    except (ValueError, OverflowError) as exc:
        raise FactError(f"eventTime is not a real time: {event_time[:64]!r}") from exc
    return moment.isoformat(timespec="microseconds") + "Z"


def utc_date(event_time: str) -> str:
    """UTC calendar date of an RFC 3339 time with any offset and fraction length."""
    return utc_time(event_time)[:10]


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
    value = mapping.get(key) if type(mapping) is dict else None
    return value if type(value) is str else None


def _metrics(event_type: str, items: object) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    names = ACTIVITY_METRICS if event_type == "ActivityEvent" else TIME_METRICS
    metrics: dict[str, Decimal] = {}
    waste: dict[str, Decimal] = {}
    if type(items) is not list:
        raise FactError("generated.items is not a list")
    for item in items:
        kind = _text(item, "type")
        if kind not in names:
            raise FactError(f"unknown metric type for {event_type}: {kind!r}")
        value = number(item.get("value"))
        name = names[kind]
        # Sum rather than overwrite: time items of one type may repeat with different
        # subTypes (waste/eating, waste/break), and their sum is the type's total.
        metrics[name] = metrics.get(name, _ZERO) + value
        if kind == "waste" and type(sub_type := item.get("subType")) is str:
            waste[sub_type] = waste.get(sub_type, _ZERO) + value
    return metrics, waste


_NOTHING: Final[dict[str, Any]] = {}


def to_fact(event: Mapping[str, Any]) -> Fact:
    """The fact of one Timeback event (`is_fact_event` is true). Raises FactError.

    The hot path of the aggregator (once per event): plain dict lookups, no helpers."""
    get = event.get
    event_type, event_id, event_time = get("type"), get("id"), get("eventTime")
    actor, obj = get("actor"), get("object")
    if type(actor) is not dict:
        actor = _NOTHING
    if type(obj) is not dict:
        obj = _NOTHING
    student_id, subject = actor.get("id"), obj.get("subject")
    if not (
        type(event_type) is str
        and type(event_id) is str
        and type(event_time) is str
        and type(student_id) is str
        and type(subject) is str
        and event_id
        and event_time
        and student_id
        and subject
    ):
        raise FactError("a Timeback event needs type, id, eventTime, actor.id, object.subject")
    generated = get("generated")
    items = generated.get("items") if type(generated) is dict else None
    metrics, waste = _metrics(event_type, items)
    utc = utc_time(event_time)
    course = obj.get("course")
    activity = obj.get("activity")
    email = actor.get("email")
    return Fact(
        event_id,
        event_type,
        event_time,
        utc[:10],
        student_id,
        sourced_id(student_id),
        email if type(email) is str else None,
        subject,
        _text(obj.get("app"), "name"),
        _text(course, "id"),
        _text(course, "name"),
        # The activity context object stands for the activity when no activity.id is sent.
        _text(activity, "id") or _text(obj, "id"),
        _text(activity, "name"),
        metrics,
        waste,
        utc,
    )
