"""Reading `caliper.events` records and writing the aggregator's own records: pure.

The input layout is the front door's (record-version 1): value = JSON of
`{"sensor", "sendTime", "receivedTime", "event"}`, key = actor.id.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson

from consumers.aggregator.facts import Fact, FactError, digest, is_fact_event, to_fact
from consumers.aggregator.folding import json_number

RECORD_VERSION_HEADER: Final = "record-version"
SUPPORTED_RECORD_VERSION: Final = b"1"


class Kind(enum.Enum):
    FACT = "fact"
    GENERIC = "generic"
    MALFORMED = "malformed"


@dataclass(frozen=True, slots=True)
class Parsed:
    """One input record, classified. `fact` and `digest` are set only for Kind.FACT."""

    kind: Kind
    event_type: str
    received_time: str | None = None
    fact: Fact | None = None
    digest: bytes = b""
    reason: str = ""


def _malformed(reason: str) -> Parsed:
    return Parsed(Kind.MALFORMED, "malformed", reason=reason)


def parse(value: bytes | None, headers: Sequence[tuple[str, bytes]]) -> Parsed:
    """Classify a record; never raises, so one bad record cannot stop the consumer."""
    version = next((v for k, v in headers if k == RECORD_VERSION_HEADER), None)
    if version != SUPPORTED_RECORD_VERSION:
        return _malformed(f"record-version {version!r}")
    if value is None:
        return _malformed("no value")
    try:
        outer: Any = orjson.loads(value)
    except orjson.JSONDecodeError:
        return _malformed("value is not JSON")
    event = outer.get("event") if isinstance(outer, dict) else None
    if not isinstance(event, dict):
        return _malformed("no event object")
    received = outer.get("receivedTime")
    received_time = received if isinstance(received, str) else None
    event_type = event.get("type")
    type_label = event_type if isinstance(event_type, str) else "unknown"
    if not is_fact_event(event):
        return Parsed(Kind.GENERIC, type_label, received_time)
    try:
        fact = to_fact(event)
    except FactError as exc:
        return _malformed(str(exc))
    return Parsed(Kind.FACT, type_label, received_time, fact, digest(event))


def fact_value(fact: Fact) -> bytes:
    """The `timeback.facts` record value (see docs/aggregator.md)."""
    return orjson.dumps(
        {
            "eventId": fact.event_id,
            "eventType": fact.event_type,
            "eventTime": fact.event_time,
            "date": fact.date,
            "studentId": fact.student_id,
            "studentSourcedId": fact.student_sourced_id,
            "email": fact.email,
            "subject": fact.subject,
            "app": fact.app,
            "courseId": fact.course_id,
            "courseName": fact.course_name,
            "activityId": fact.activity_id,
            "activityName": fact.activity_name,
            "metrics": {name: json_number(v) for name, v in fact.metrics.items()},
            "wasteBySubType": {name: json_number(v) for name, v in fact.waste_by_sub_type.items()},
        }
    )


def conflict_value(
    event_id: str, kept: bytes, refused: bytes, *, topic: str, partition: int, offset: int
) -> bytes:
    """The `caliper.events.conflicts` record: which id, both digests, where the loser is."""
    return orjson.dumps(
        {
            "eventId": event_id,
            "countedDigest": kept.hex(),
            "refusedDigest": refused.hex(),
            "topic": topic,
            "partition": partition,
            "offset": offset,
        }
    )
