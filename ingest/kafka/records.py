"""Turn a validated envelope into Kafka records: pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import orjson

from validators import ValidationIssue

# Version of the record value layout below; consumers branch on it, not on field sniffing.
RECORD_VERSION: Final = b"1"
HEADER_EVENT_TYPE: Final = "event-type"
HEADER_PROFILE: Final = "profile"
HEADER_SCHEMA_VERSION: Final = "schema-version"
HEADER_RECORD_VERSION: Final = "record-version"
HEADER_CLIENT_ID: Final = "client-id"
# `true` when the event's `object.process` is JSON true (a OneRoster result is asked
# for), else `false`: the results writer skips the rest without decoding them.
HEADER_PROCESS: Final = "process"
_PROCESS: Final = {True: b"true", False: b"false"}


class Record(NamedTuple):
    """One Kafka record before it has a topic: the publisher picks the topic. A tuple:
    the front door builds one per event, and a frozen dataclass costs several times
    more to build. Records may share their `headers` list: never change it."""

    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class EnvelopeContext:
    """What the consumers need from the envelope besides the event itself."""

    sensor: Any
    send_time: Any
    data_version: Any
    received_time: str
    client_id: str  # the token's client, or "anonymous" with auth off


def context_of(envelope: Mapping[str, Any], received_time: str, client_id: str) -> EnvelopeContext:
    return EnvelopeContext(
        sensor=envelope.get("sensor"),
        send_time=envelope.get("sendTime"),
        data_version=envelope.get("dataVersion"),
        received_time=received_time,
        client_id=client_id,
    )


def record_key(event: Mapping[str, Any]) -> bytes | None:
    """`actor.id` (or the actor IRI): one student's events stay in order on one partition.

    Items without an actor (entities in `data`) get no key and are spread round-robin.
    """
    actor = event.get("actor")
    if isinstance(actor, str):
        return actor.encode()
    if isinstance(actor, dict):  # parsed JSON: a dict check is ~10x an ABC check
        actor_id = actor.get("id")
        if isinstance(actor_id, str):
            return actor_id.encode()
    return None


def _header(value: Any) -> bytes:
    return value.encode() if isinstance(value, str) else b""


def event_records(events: Sequence[Mapping[str, Any]], context: EnvelopeContext) -> list[Record]:
    """One record per event. The value nests the event beside its envelope context
    instead of merging them, so no event field can ever collide with ours.

    The context is the same for every event of the envelope: it is encoded once, and
    each value is that prefix, the event's own encoding and a closing brace (the bytes
    orjson would write for the whole object)."""
    prefix = orjson.dumps(
        {
            "sensor": context.sensor,
            "sendTime": context.send_time,
            "receivedTime": context.received_time,
            "clientId": context.client_id,
            "event": None,
        }
    )[: -len(b"null}")]
    constant = [
        (HEADER_SCHEMA_VERSION, _header(context.data_version)),
        (HEADER_RECORD_VERSION, RECORD_VERSION),
        (HEADER_CLIENT_ID, context.client_id.encode()),
    ]
    # Events of one envelope share a few (type, profile, process) triples: one header
    # list each.
    headers_for: dict[tuple[Any, Any, bool], list[tuple[str, bytes]]] = {}
    records = []
    dumps = orjson.dumps
    for event in events:
        obj = event.get("object")
        kind = (
            event.get("type"),
            event.get("profile"),
            type(obj) is dict and obj.get("process") is True,
        )
        headers = headers_for.get(kind)
        if headers is None:
            headers = headers_for[kind] = [
                (HEADER_EVENT_TYPE, _header(kind[0])),
                (HEADER_PROFILE, _header(kind[1])),
                (HEADER_PROCESS, _PROCESS[kind[2]]),
                *constant,
            ]
        records.append(Record(record_key(event), b"".join((prefix, dumps(event), b"}")), headers))
    return records


def rejected_record(
    *,
    body: bytes,
    errors: Sequence[ValidationIssue],
    sensor: Any,
    received_time: str,
    client_id: str,
    body_limit: int,
) -> Record:
    """The record an operator reads to see what an app got wrong.

    The body is kept as text (invalid UTF-8 replaced) and cut to `body_limit` bytes,
    so a rejected 1 MiB envelope does not become a 1 MiB record.
    """
    truncated = len(body) > body_limit
    kept = body[:body_limit].decode("utf-8", errors="replace")
    value = orjson.dumps(
        {
            "receivedTime": received_time,
            "clientId": client_id,
            "sensor": sensor if isinstance(sensor, str) else None,
            "errors": [issue.to_dict() for issue in errors],
            "body": kept,
            "bodyBytes": len(body),
            "bodyTruncated": truncated,
        }
    )
    key = sensor.encode() if isinstance(sensor, str) else None
    headers = [(HEADER_RECORD_VERSION, RECORD_VERSION), (HEADER_CLIENT_ID, client_id.encode())]
    return Record(key, value, headers)
