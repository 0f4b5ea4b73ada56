"""One batch through the processor: skips decided from the header without decoding,
writes in order per student, malformed records dead-lettered."""

from __future__ import annotations

import orjson
from prometheus_client import CollectorRegistry

from consumers.oneroster.dlq import Source
from consumers.oneroster.mapping import ResultPlan
from consumers.oneroster.metrics import WriterMetrics
from consumers.oneroster.processor import Outcome, Processor, process_batch
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
