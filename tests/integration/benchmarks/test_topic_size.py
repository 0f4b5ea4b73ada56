"""benchmarks/http.py counts what a topic holds, batches included: the embedded broker's
end offset stops at the start of a partition's last batch."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaProducer

from benchmarks.http_kafka import PARTITIONS, create_topic, topic_size

pytestmark = pytest.mark.integration


async def test_topic_size_counts_every_record_of_batched_sends(bootstrap_servers: str) -> None:
    topic = f"test.bench.size.{uuid.uuid4().hex[:8]}"
    await create_topic(bootstrap_servers, topic)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, linger_ms=20, acks="all")
    await producer.start()
    try:
        for _ in range(3):  # several batches per partition, each of several records
            sent = [await producer.send(topic, b"v", key=f"k{i}".encode()) for i in range(500)]
            await asyncio.gather(*sent)
    finally:
        await producer.stop()
    assert PARTITIONS > 1
    assert await topic_size(bootstrap_servers, topic) == 1500
