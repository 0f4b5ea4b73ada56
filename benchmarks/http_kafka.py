"""The topics of benchmarks/http.py: created per server, and counted afterwards."""

from __future__ import annotations

from typing import Final

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

PARTITIONS: Final = 12


async def create_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    finally:
        await admin.close()


async def topic_size(bootstrap: str, topic: str) -> int:
    """Records on `topic`, read back. The embedded broker's end offset is the base offset
    of a partition's last batch + 1, not its high watermark, so the tail past it is read:
    offsets of a fresh topic start at 0 and have no gaps, so a partition holds last + 1."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()  # metadata: `up` creates its topics with fewer partitions
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        ends = await consumer.end_offsets(parts)
        consumer.assign(parts)
        for part in parts:
            consumer.seek(part, max(0, ends[part] - 1))
        sizes = dict(ends)
        while batches := await consumer.getmany(timeout_ms=1000, max_records=50_000):
            for part, records in batches.items():
                sizes[part] = max(sizes[part], records[-1].offset + 1)
        return int(sum(sizes.values()))
    finally:
        await consumer.stop()
