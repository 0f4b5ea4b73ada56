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

from consumers.aggregator.facts import (
    FACT_EVENT_TYPES,
    TIMEBACK_PROFILE,
    Fact,
    FactError,
    digest,
    to_fact,
)
from consumers.aggregator.folding import json_number

RECORD_VERSION_HEADER: Final = "record-version"
SUPPORTED_RECORD_VERSION: Final = b"1"


class Kind(enum.Enum):
    FACT = "fact"
    GENERIC = "generic"
    MALFORMED = "malformed"


@dataclass(slots=True)
class Parsed:
    """One input record, classified. `fact` and `digest` are set only for Kind.FACT.
    Treat as immutable (not `frozen`, whose __init__ costs more than parsing, per record)."""

    kind: Kind
    event_type: str
    received_time: str | None = None
    fact: Fact | None = None
    digest: bytes = b""
    reason: str = ""


_NUL_ESCAPE: Final = b"\\u0000"  # how JSON writes U+0000 (a raw NUL is not valid JSON)
_REPLACEMENT: Final = "\ufffd"


def without_nul(tree: Any) -> Any:
    """`tree` with U+0000 replaced by U+FFFD in every string. The front door accepts NUL
    in a name; SQLite's `->>` cuts text at it and PostgreSQL refuses it in text/jsonb,
    so a fact carries the replacement instead (the digest is still of the event as sent)."""
    if type(tree) is str:
        return tree.replace("\x00", _REPLACEMENT)
    if type(tree) is dict:
        return {without_nul(key): without_nul(value) for key, value in tree.items()}
    if type(tree) is list:
        return [without_nul(item) for item in tree]
    return tree


def _malformed(reason: str) -> Parsed:
    return Parsed(Kind.MALFORMED, "malformed", reason=reason)


def parse(value: bytes | None, headers: Sequence[tuple[str, bytes]]) -> Parsed:
    """Classify a record; never raises, so one bad record cannot stop the consumer.
    The record's JSON is decoded once; the fact is built from that one tree."""
    version = None
    for name, header in headers:
        if name == RECORD_VERSION_HEADER:
            version = header
            break
    if version != SUPPORTED_RECORD_VERSION:
        return _malformed(f"record-version {version!r}")
    if value is None:
        return _malformed("no value")
    try:
        outer: Any = orjson.loads(value)
    except orjson.JSONDecodeError:
        return _malformed("value is not JSON")
    event = outer.get("event") if type(outer) is dict else None
    if type(event) is not dict:
        return _malformed("no event object")
    received = outer.get("receivedTime")
    received_time = received if type(received) is str else None
    event_type = event.get("type")
    type_label = event_type if type(event_type) is str else "unknown"
    if not (event.get("profile") == TIMEBACK_PROFILE and event_type in FACT_EVENT_TYPES):
        return Parsed(Kind.GENERIC, type_label, received_time)
    try:
        # A byte search per record (memchr); the walk only for the rare record with a NUL.
        fact = to_fact(without_nul(event) if _NUL_ESCAPE in value else event)
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
