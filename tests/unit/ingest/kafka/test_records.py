"""Record building: keys, values, headers, rejected copies."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ingest.kafka.partitioner import CachedMurmur2Partitioner
from ingest.kafka.records import context_of, event_records, record_key, rejected_record
from validators import ValidationIssue

ENVELOPE = {
    "sensor": "https://example.edu/sensor",
    "sendTime": "2026-02-10T15:04:05.000Z",
    "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
}


@pytest.mark.parametrize(
    ("event", "key"),
    [
        ({"actor": {"id": "https://u/1", "type": "TimebackUser"}}, b"https://u/1"),
        ({"actor": "https://u/2"}, b"https://u/2"),
        ({"actor": {"type": "Person"}}, None),
        ({"type": "Entity"}, None),
    ],
)
def test_record_key(event: dict[str, object], key: bytes | None) -> None:
    assert record_key(event) == key


def test_event_record_value_and_headers() -> None:
    event = {"id": "urn:uuid:1", "type": "ActivityEvent", "profile": "TimebackProfile"}
    context = context_of(ENVELOPE, "2026-02-10T15:04:06.000Z", "app-1")
    (record,) = event_records([event], context)
    assert orjson.loads(record.value) == {
        "sensor": ENVELOPE["sensor"],
        "sendTime": ENVELOPE["sendTime"],
        "receivedTime": "2026-02-10T15:04:06.000Z",
        "clientId": "app-1",
        "event": event,
    }
    assert dict(record.headers) == {
        "event-type": b"ActivityEvent",
        "profile": b"TimebackProfile",
        "process": b"false",
        "schema-version": ENVELOPE["dataVersion"].encode(),
        "record-version": b"1",
        "client-id": b"app-1",
    }


def test_event_record_values_are_the_bytes_orjson_writes_for_the_whole_value() -> None:
    """The context is encoded once per envelope and joined to each event's encoding:
    the bytes must be those of encoding the whole value, header for header."""
    events: list[dict[str, Any]] = [
        {"id": "urn:uuid:1", "type": "ActivityEvent", "profile": "TimebackProfile"},
        {"id": "urn:uuid:2", "type": "TimeSpentEvent", "name": 'caf\u00e9 \U0001f600 "q"'},
        {"id": "urn:uuid:3", "type": "ActivityEvent", "extensions": {"a": [1, 2.5, None]}},
    ]
    envelope = {**ENVELOPE, "sensor": "https://example.edu/\u00e9"}
    context = context_of(envelope, "2026-02-10T15:04:06.000Z", "app-\u00e9")
    for event, record in zip(events, event_records(events, context), strict=True):
        whole = {
            "sensor": envelope["sensor"],
            "sendTime": envelope["sendTime"],
            "receivedTime": "2026-02-10T15:04:06.000Z",
            "clientId": "app-\u00e9",
            "event": event,
        }
        assert record.value == orjson.dumps(whole)
        assert record.headers == [
            ("event-type", str(event["type"]).encode()),
            ("profile", str(event.get("profile", "")).encode()),
            ("process", b"false"),
            ("schema-version", ENVELOPE["dataVersion"].encode()),
            ("record-version", b"1"),
            ("client-id", "app-\u00e9".encode()),
        ]


@pytest.mark.parametrize(
    ("obj", "process"),
    [
        ({"id": "https://o/1", "process": True}, b"true"),
        ({"id": "https://o/1", "process": False}, b"false"),
        ({"id": "https://o/1", "process": "true"}, b"false"),  # only JSON true asks
        ({"id": "https://o/1", "process": 1}, b"false"),
        ({"id": "https://o/1"}, b"false"),
        ("https://o/1", b"false"),
        (None, b"false"),
    ],
)
def test_the_process_header_says_whether_a_result_is_asked_for(obj: Any, process: bytes) -> None:
    events = [
        {"id": "urn:uuid:1", "type": "ActivityEvent", "object": obj},
        {"id": "urn:uuid:2", "type": "ActivityEvent", "object": {"process": True}},
        {"id": "urn:uuid:3", "type": "ActivityEvent"},
    ]
    context = context_of(ENVELOPE, "2026-02-10T15:04:06.000Z", "app-1")
    first, asked, entity_like = event_records(events, context)
    assert dict(first.headers)["process"] == process
    assert dict(asked.headers)["process"] == b"true"
    assert dict(entity_like.headers)["process"] == b"false"


def test_rejected_record_truncates_the_body() -> None:
    issue = ValidationIssue(0, "$.data[0].id", "invalid_format", "bad id")
    record = rejected_record(
        body=b"x" * 100,
        errors=[issue],
        sensor="s",
        received_time="t",
        client_id="app-1",
        body_limit=10,
    )
    value = orjson.loads(record.value)
    assert value["body"] == "x" * 10
    assert value["bodyBytes"] == 100
    assert value["bodyTruncated"] is True
    assert value["errors"] == [issue.to_dict()]
    assert record.key == b"s"
    assert value["clientId"] == "app-1"
    assert dict(record.headers)["client-id"] == b"app-1"


def test_cached_partitioner_matches_kafka_default() -> None:
    from aiokafka.partitioner import DefaultPartitioner

    partitions = list(range(12))
    ours = CachedMurmur2Partitioner()
    for i in range(200):
        key = f"https://api.example/users/{i}".encode()
        assert ours(key, partitions, partitions) == DefaultPartitioner()(
            key, partitions, partitions
        )
