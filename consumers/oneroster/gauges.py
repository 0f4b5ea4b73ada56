"""Gauges read off Kafka rather than counted: consumer lag and the DLQ's size.

Refreshed after every poll, empty ones included, so a writer that stops making
progress shows a growing lag instead of its last value. The lag has a series per
partition assigned to this process (consumers.lag); the DLQ size is the whole topic's,
the same on every replica: dashboards and alerts take its `max`, never its `sum`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from consumers.kafka import KafkaOptions
from consumers.offsets import end_offsets
from consumers.oneroster.metrics import WriterMetrics

logger = logging.getLogger(__name__)


class KafkaGauges:
    def __init__(
        self,
        metrics: WriterMetrics,
        dlq_topic: str,
        dlq_partitions: Callable[[], Awaitable[set[int]]],
        dlq_refresh_s: float,
        kafka: KafkaOptions,
    ) -> None:
        self._kafka = kafka
        self._dlq_refresh_s = dlq_refresh_s
        self._metrics = metrics
        self._dlq_topic = dlq_topic
        self._dlq_partitions = dlq_partitions
        self._dlq_checked = float("-inf")

    async def refresh(self, consumer: AIOKafkaConsumer) -> None:
        await self._metrics.lag.refresh(consumer)
        if time.monotonic() - self._dlq_checked >= self._dlq_refresh_s:
            self._dlq_checked = time.monotonic()
            await self._refresh_dlq(consumer)

    async def _refresh_dlq(self, consumer: AIOKafkaConsumer) -> None:
        try:
            # The consumer follows caliper.events only; the DLQ producer knows the DLQ.
            partitions = await self._dlq_partitions()
            tps = [TopicPartition(self._dlq_topic, p) for p in sorted(partitions)]
            ends = await end_offsets(self._kafka, tps)
            starts = await consumer.beginning_offsets(tps)
        except KafkaError as exc:
            logger.warning("cannot size the DLQ: %s", type(exc).__name__)
            return
        self._metrics.dlq_records.set(sum(ends[tp] - starts[tp] for tp in tps))
