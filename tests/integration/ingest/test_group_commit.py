"""Group commit (ingest.kafka.batcher) against a real broker: shared batches, order per student."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, cast

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from ingest.kafka.batcher import GroupCommitter
from ingest.kafka.records import Record
from tests.integration.conftest import read_topic

pytestmark = pytest.mark.integration

STUDENTS = 8
EVENTS_PER_STUDENT = 40


async def make_topic(bootstrap: str, partitions: int) -> str:
    topic = f"gc.{uuid.uuid4().hex[:10]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        await admin.close()
    return topic


def record(student: int, sequence: int) -> Record:
    return Record(
        key=f"student-{student}".encode(),
        value=f"{student}:{sequence}".encode(),
        headers=[("event-type", b"ActivityEvent")],
    )


@pytest.mark.parametrize("producer_count", [1, 3])
async def test_concurrent_requests_keep_each_students_order(
    bootstrap_servers: str, producer_count: int
) -> None:
    """With several producers (several produce requests in flight), each partition still
    goes through one of them, so each student's events keep their order."""
    topic = await make_topic(bootstrap_servers, 4)
    producers = [
        AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all", linger_ms=0)
        for _ in range(producer_count)
    ]
    for producer in producers:
        await producer.start()
    committer = GroupCommitter(producers, topic)

    async def one_student(student: int) -> None:
        # Each student posts one request after the other, two events a request, while
        # the other students' requests run concurrently and share the same batches.
        for sequence in range(0, EVENTS_PER_STUDENT, 2):
            await committer.publish([record(student, sequence), record(student, sequence + 1)])

    try:
        await asyncio.gather(*(one_student(s) for s in range(STUDENTS)), committer.publish([]))
    finally:
        for producer in producers:
            await producer.stop()

    records = await read_topic(bootstrap_servers, topic, expect=STUDENTS * EVENTS_PER_STUDENT)
    assert len(records) == STUDENTS * EVENTS_PER_STUDENT
    seen: dict[int, list[int]] = {s: [] for s in range(STUDENTS)}
    partitions: dict[int, set[int]] = {s: set() for s in range(STUDENTS)}
    for item in sorted(records, key=lambda r: (r.partition, r.offset)):
        assert item.value is not None
        student, sequence = (int(part) for part in item.value.decode().split(":"))
        seen[student].append(sequence)
        partitions[student].add(item.partition)
        assert item.headers == (("event-type", b"ActivityEvent"),)
    for student in range(STUDENTS):
        assert seen[student] == list(range(EVENTS_PER_STUDENT)), f"student {student} reordered"
        assert len(partitions[student]) == 1


async def test_a_failing_flush_fails_every_waiting_request(bootstrap_servers: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, request_timeout_ms=1000)
    await producer.start()
    # A topic name the broker refuses: the flush fails, and both requests must hear it.
    committer = GroupCommitter([producer], "bad topic name with spaces")
    try:
        results = await asyncio.wait_for(
            asyncio.gather(
                committer.publish([record(1, 0)]),
                committer.publish([record(2, 0)]),
                return_exceptions=True,
            ),
            timeout=30,
        )
    finally:
        await producer.stop()
    assert all(isinstance(result, Exception) for result in results), results


class CountingProducer(AIOKafkaProducer):  # type: ignore[misc]
    """A real producer that counts the batches the committer hands it."""

    batches = 0

    async def send_batch(self, *args: Any, **kwargs: Any) -> Any:
        self.batches += 1
        return await super().send_batch(*args, **kwargs)


async def batches_sent(bootstrap: str, linger_s: float, linger_bytes: int = 16_384) -> int:
    """Four requests 50 ms apart through a committer with this window: how many batches."""
    topic = await make_topic(bootstrap, 1)
    producer = CountingProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    committer = GroupCommitter([producer], topic, linger_s=linger_s, linger_bytes=linger_bytes)

    async def later(student: int) -> None:
        await asyncio.sleep(0.05 * student)
        await committer.publish([record(student, 0)])

    try:
        await asyncio.gather(*(later(s) for s in range(4)))
    finally:
        await producer.stop()
    assert len(await read_topic(bootstrap, topic, expect=4)) == 4
    return producer.batches


async def test_requests_within_the_commit_window_share_one_batch(bootstrap_servers: str) -> None:
    """With a window, the requests that arrive while it is open go out in one batch;
    without one, each leaves as soon as it comes."""
    assert await batches_sent(bootstrap_servers, linger_s=0.3) == 1
    assert await batches_sent(bootstrap_servers, linger_s=0.0) == 4


async def test_the_window_closes_once_linger_bytes_are_queued(bootstrap_servers: str) -> None:
    """Each record's value is 3 bytes: with `linger_bytes` 6 every second request closes
    the 60 s window at once, as Kafka's `batch.size` ends its `linger.ms`."""
    sent = await asyncio.wait_for(batches_sent(bootstrap_servers, 60.0, linger_bytes=6), 20)
    assert sent == 2


def test_a_negative_window_is_refused() -> None:
    with pytest.raises(ValueError, match="linger_s"):
        GroupCommitter([cast(AIOKafkaProducer, object())], "t", linger_s=-1)
    with pytest.raises(ValueError, match="linger_bytes"):
        GroupCommitter([cast(AIOKafkaProducer, object())], "t", linger_bytes=0)
