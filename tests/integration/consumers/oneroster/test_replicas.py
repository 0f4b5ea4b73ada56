"""Two writers in one group on one broker: each shows lag for exactly the partitions it
holds (through a join and a leave), and both report the same DLQ size, the DLQ topic's
real record count: so the dashboard's `max` is right (a `sum` would double it)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from prometheus_client import CollectorRegistry

from caliper_pipeline.dev.oneroster import DevServer
from consumers.oneroster.metrics import WriterMetrics
from consumers.oneroster.settings import WriterSettings
from consumers.oneroster.worker import ResultsWriter
from tests.integration.conftest import kafka_options, read_topic
from tests.integration.consumers.oneroster.conftest import eventually, sample, writer_settings
from tests.integration.consumers.probes import lag_series

pytestmark = pytest.mark.integration

LAG = "caliper_oneroster_consumer_lag_records"
DLQ = "caliper_oneroster_dlq_records"
ALL = {0, 1, 2, 3}
UNREADABLE = 30


class Replica:
    def __init__(self, settings: WriterSettings, bootstrap: str) -> None:
        self.metrics = WriterMetrics(CollectorRegistry())
        self.writer = ResultsWriter(
            settings=settings, kafka=kafka_options(bootstrap), metrics=self.metrics
        )
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> Replica:
        await self.writer.start()
        self.task = asyncio.create_task(self.writer.run(self.stop))
        return self

    async def leave(self) -> None:
        self.stop.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 15)
        await self.writer.stop()

    @property
    def series(self) -> set[int]:
        return lag_series(self.metrics.registry, LAG)

    @property
    def held(self) -> frozenset[int]:
        return self.writer.assignment()


async def events_topic(bootstrap: str) -> str:
    topic = f"w{uuid.uuid4().hex[:10]}.events"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, len(ALL), 1)])
    finally:
        await admin.close()
    return topic


async def produce_unreadable(bootstrap: str, topic: str, count: int) -> None:
    """Records that are not JSON: each one is dead-lettered (`malformed_record`)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(count):
            await producer.send_and_wait(topic, b"not json %d" % n, key=b"student-%d" % n)
    finally:
        await producer.stop()


async def test_two_writers_lag_series_and_dlq_size(
    bootstrap_servers: str, oneroster: DevServer
) -> None:
    topic = await events_topic(bootstrap_servers)
    # One record at a time, so each dead letter is a producer batch of its own: the
    # embedded broker's ListOffsets answers the last *batch's* start + 1 as the end (a
    # batch of 3 reads as 1), which the gauge reads; Apache Kafka answers the true end.
    settings = writer_settings(topic, oneroster, concurrency=1)
    first = await Replica(settings, bootstrap_servers).start()
    second: Replica | None = None
    try:
        await eventually(lambda: first.held == ALL and first.series == ALL, what="first alone")
        second = joined = await Replica(settings, bootstrap_servers).start()

        def split_exactly() -> bool:
            a, b = first.held, joined.held
            return bool(a and b) and a | b == ALL and first.series == a and joined.series == b

        await eventually(split_exactly, timeout_s=30, what="each writer shows exactly its half")

        await produce_unreadable(bootstrap_servers, topic, UNREADABLE)
        letters = await read_topic(bootstrap_servers, settings.dlq_topic, expect=UNREADABLE)
        assert len(letters) == UNREADABLE
        dead = [sample(r.metrics, "caliper_oneroster_dead_letters_total", code="malformed_record")
                for r in (first, joined)]  # fmt: skip
        assert sum(dead) == UNREADABLE
        assert all(dead), "both writers held partitions with records"
        await eventually(
            lambda: [sample(r.metrics, DLQ) for r in (first, joined)] == [UNREADABLE] * 2,
            what="both report the whole DLQ",
        )
        assert split_exactly(), (first.series, joined.series)

        await joined.leave()
        second = None
        await eventually(
            lambda: first.held == ALL and first.series == ALL,
            timeout_s=30,
            what="the remaining writer shows every partition again",
        )
        assert sample(first.metrics, DLQ) == UNREADABLE
    finally:
        for replica in (first, second):
            if replica is not None:
                await replica.leave()
