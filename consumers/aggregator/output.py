"""Publishing a batch's output records: grouped per partition, sent as whole batches.

`producer.send()` costs tens of µs per record in aiokafka (accumulator bookkeeping
plus a pure-Python murmur2 per key); the aggregator sends one fact per event, so it
builds its own per-partition batches with `create_batch`/`send_batch` instead. The
partition is Kafka's default for the key (murmur2, hash cached), so Java clients
and Kafka Streams agree on where a key lives.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, Final

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2

_HASH_CACHE: Final = 65_536


@lru_cache(maxsize=_HASH_CACHE)
def partition_of(key: bytes, partitions: int) -> int:
    return (int(murmur2(key)) & 0x7FFFFFFF) % partitions


class BatchSender:
    """Collect (topic, key, value) records, then `flush()`: send all, await every ack."""

    def __init__(self, producer: AIOKafkaProducer, partitions: Mapping[str, int]) -> None:
        self._producer = producer
        self._partitions = partitions
        self._pending: dict[tuple[str, int], list[tuple[bytes, bytes]]] = defaultdict(list)

    def add(self, topic: str, key: bytes, value: bytes) -> None:
        partition = partition_of(key, self._partitions[topic])
        self._pending[(topic, partition)].append((key, value))

    def add_all(self, topic: str, records: Iterable[tuple[bytes, bytes]]) -> None:
        for key, value in records:
            self.add(topic, key, value)

    async def flush(self) -> None:
        futures: list[asyncio.Future[Any]] = []
        producer = self._producer
        for (topic, partition), records in self._pending.items():
            batch = producer.create_batch()
            for key, value in records:
                if batch.append(key=key, value=value, timestamp=None) is None:
                    # Full: send it and start another one for the rest.
                    futures.append(await producer.send_batch(batch, topic, partition=partition))
                    batch = producer.create_batch()
                    batch.append(key=key, value=value, timestamp=None)
            futures.append(await producer.send_batch(batch, topic, partition=partition))
        self._pending.clear()
        await asyncio.gather(*futures)


async def partition_counts(producer: AIOKafkaProducer, topics: Iterable[str]) -> dict[str, int]:
    """Partitions per output topic (they exist: created at startup)."""
    return {topic: len(await producer.partitions_for(topic)) for topic in topics}
