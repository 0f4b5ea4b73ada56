"""One batch through the processor: skips decided from the header without decoding,
writes in order per student, malformed records dead-lettered."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from prometheus_client import CollectorRegistry

from consumers.oneroster.dlq import Source
from consumers.oneroster.mapping import ResultPlan, Skip, decode, plan
from consumers.oneroster.metrics import WriterMetrics
from consumers.oneroster.processor import Outcome, Processor, header_skip, process_batch
from ingest.kafka.records import context_of, event_records
from tests.unit.consumers.oneroster.test_mapping import event


def source(offset: int, value: bytes | None, headers: list[tuple[str, bytes]]) -> Source:
    return Source("caliper.events", 0, offset, b"student", value, headers)


async def test_a_batch_writes_skips_and_dead_letters() -> None:
    written: list[str] = []
    dead: list[bytes] = []

    async def write(plan: ResultPlan) -> None:
        written.append(plan.result.sourced_id)

    async def sink(key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        dead.append(value)

    metrics = WriterMetrics(CollectorRegistry())
    processor = Processor(write, sink, metrics)
    activity = orjson.dumps({"sensor": "https://app.example.com", "event": event()})
    outcomes = await process_batch(
        [
            source(0, activity, [("event-type", b"ActivityEvent")]),
            # Not an activity by its header: skipped without reading the value at all.
            source(1, b"not json", [("event-type", b"TimeSpentEvent")]),
            # No header: decoded, and a value that is not JSON is dead-lettered.
            source(2, b"not json", []),
            source(3, activity, []),
        ],
        processor,
        concurrency=4,
    )
    assert outcomes == [Outcome.WRITTEN, Outcome.SKIPPED, Outcome.DEAD_LETTERED, Outcome.WRITTEN]
    assert len(written) == 2
    assert len(dead) == 1
    skipped = metrics.registry.get_sample_value(
        "caliper_oneroster_events_skipped_total", {"reason": "not_activity"}
    )
    assert skipped == 1


PROCESS_VALUES = [True, False, "true", 1, None]


@pytest.mark.parametrize("process", PROCESS_VALUES)
@pytest.mark.parametrize("kind", ["ActivityEvent", "TimeSpentEvent", "NavigationEvent"])
def test_a_header_skip_is_the_skip_decoding_gives(kind: str, process: Any) -> None:
    """Records as the front door writes them: where the headers decide a skip, decoding
    the value gives that same skip; where they do not, decoding is needed."""
    sent = event(process=process)
    sent["type"] = kind
    if process is None:
        del sent["object"]["process"]
    context = context_of(
        {"sensor": "https://app.example.com", "sendTime": "t", "dataVersion": "v"}, "t", "app"
    )
    (record,) = event_records([sent], context)
    decided = header_skip(record.headers)
    decoded = plan(decode(record.value))
    if isinstance(decoded, Skip):
        assert decided == decoded
    else:
        assert decided is None


@pytest.mark.parametrize(
    "headers",
    [
        [],  # not the front door's: decode
        [("process", b"false")],  # no event-type: the type is in the value only
        [("event-type", b"ActivityEvent")],
        [("event-type", b"ActivityEvent"), ("process", b"true")],
        [("process", b"garbled"), ("event-type", b"ActivityEvent")],
    ],
)
def test_without_a_deciding_header_the_value_is_read(headers: list[tuple[str, bytes]]) -> None:
    assert header_skip(headers) is None


def test_header_order_does_not_change_the_reason() -> None:
    assert header_skip([("process", b"false"), ("event-type", b"TimeSpentEvent")]) == Skip(
        "not_activity"
    )
    assert header_skip([("process", b"false"), ("event-type", b"ActivityEvent")]) == Skip(
        "not_processed"
    )


async def test_skips_are_counted_once_per_reason_and_batch() -> None:
    async def write(plan: ResultPlan) -> None:
        raise AssertionError("nothing to write")

    async def sink(key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        raise AssertionError("nothing to dead-letter")

    moved: list[None] = []
    metrics = WriterMetrics(CollectorRegistry())
    processor = Processor(write, sink, metrics, on_record=lambda: moved.append(None))
    not_processed = [("event-type", b"ActivityEvent"), ("process", b"false")]
    outcomes = await process_batch(
        [source(i, b"not read", not_processed) for i in range(5)]
        + [source(5, b"not read", [("event-type", b"TimeSpentEvent")])],
        processor,
        concurrency=4,
    )
    assert outcomes == [Outcome.SKIPPED] * 6
    registry = metrics.registry
    name = "caliper_oneroster_events_skipped_total"
    assert registry.get_sample_value(name, {"reason": "not_processed"}) == 5
    assert registry.get_sample_value(name, {"reason": "not_activity"}) == 1
    assert len(moved) == 1
