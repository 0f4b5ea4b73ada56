"""`end_offsets` is where a reader really finds a partition's last record.

The embedded broker's ListOffsets(latest) lags behind after several produce batches
(the flaky DLQ replay that stopped one record short); the fetch high watermark does not.
"""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from consumers.offsets import end_offsets
from tests.integration.conftest import kafka_options


async def _produce(bootstrap: str, topic: str, per_partition: dict[int, int]) -> None:
    producer = AIOKafkaProducer(**kafka_options(bootstrap), acks="all")
    await producer.start()
    try:
        for partition, count in per_partition.items():
            # One awaited send per record: one batch each, the case that lagged.
            for n in range(count):
                await producer.send_and_wait(topic, b"%d" % n, partition=partition)
        # And one multi-record batch on top.
        sent = [await producer.send(topic, b"x", partition=0) for _ in range(5)]
        for future in sent:
            await future
    finally:
        await producer.stop()


async def _read_counts(bootstrap: str, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(**kafka_options(bootstrap), enable_auto_commit=False)
    await consumer.start()
    counts = dict.fromkeys(tps, 0)
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        for _ in range(20):
            for tp, records in (await consumer.getmany(timeout_ms=200)).items():
                counts[tp] += len(records)
    finally:
        await consumer.stop()
    return counts


async def test_end_offsets_count_every_record_produced(bootstrap_servers: str) -> None:
    topic = f"t{uuid.uuid4().hex[:10]}.offsets"
    admin = AIOKafkaAdminClient(**kafka_options(bootstrap_servers))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    finally:
        await admin.close()
    await _produce(bootstrap_servers, topic, {0: 2, 1: 3, 2: 0})
    tps = [TopicPartition(topic, p) for p in range(3)]

    ends = await end_offsets(kafka_options(bootstrap_servers), tps)

    assert ends == {tps[0]: 7, tps[1]: 3, tps[2]: 0}
    assert ends == await _read_counts(bootstrap_servers, tps)


async def test_no_partitions_no_probe(bootstrap_servers: str) -> None:
    assert await end_offsets(kafka_options(bootstrap_servers), []) == {}
