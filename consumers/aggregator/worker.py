"""The consumer loop: join the group, resume from the store's offsets, poll batches.

Each batch is handed to the BatchProcessor (consumers.aggregator.processor), which
changes the store and publishes in one transaction. On assignment the consumer seeks
to the store's offsets, never to Kafka's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection
from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

from consumers.aggregator.metrics import AggregatorMetrics
from consumers.aggregator.output import partition_counts
from consumers.aggregator.processor import OUTPUT_BATCH_BYTES, Batch, BatchProcessor
from consumers.aggregator.settings import AggregatorSettings
from consumers.aggregator.store import Store, StoreError
from consumers.aggregator.topics import prepare
from consumers.health.progress import Progress
from consumers.kafka import KafkaOptions
from consumers.polling import idle_between_polls

logger = logging.getLogger(__name__)


class _ResumeFromStore(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, aggregator: Aggregator) -> None:
        self._aggregator = aggregator

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        aggregator = self._aggregator
        # Let the batch in flight commit (or roll back) before another member takes over.
        async with aggregator.batch_lock:
            logger.info("partitions revoked: %s", sorted(tp.partition for tp in revoked))
            # Another member reports these now: a stale series would inflate the lag.
            aggregator.metrics.lag.forget(revoked)
            aggregator.progress.revoked(tp.partition for tp in revoked)

    async def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        aggregator = self._aggregator
        logger.info("partitions assigned: %s", sorted(tp.partition for tp in assigned))
        aggregator.metrics.lag.keep_only(assigned)
        aggregator.progress.assigned(tp.partition for tp in assigned)
        await aggregator.resume(assigned)


class Aggregator:
    """Owns a consumer, a producer and a store; `start()`/`stop()` or `async with`."""

    name = "aggregator"

    def __init__(
        self,
        settings: AggregatorSettings,
        *,
        kafka: KafkaOptions,
        store: Store,
        metrics: AggregatorMetrics,
    ) -> None:
        self.settings = settings
        self.kafka = kafka
        self.store = store
        self.metrics = metrics
        self.batch_lock = asyncio.Lock()
        self.progress = Progress(settings.stall_timeout_s)
        self.source = ""
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._processor: BatchProcessor | None = None
        self._needs_resume = False
        self._running = False

    async def start(self) -> None:
        if self._consumer is not None:
            return
        settings = self.settings
        options = {**self.kafka, "request_timeout_ms": settings.request_timeout_ms}
        await self.store.start()
        try:
            self.source = await prepare(settings, self.kafka)
            self._producer = producer = AIOKafkaProducer(
                **options,
                acks="all",
                enable_idempotence=settings.enable_idempotence,
                linger_ms=settings.linger_ms,
                max_batch_size=OUTPUT_BATCH_BYTES,
                max_request_size=2 * OUTPUT_BATCH_BYTES,
            )
            await producer.start()
            partitions = await partition_counts(
                producer, [settings.facts_topic, settings.daily_topic, settings.conflicts_topic]
            )
            consumer = AIOKafkaConsumer(
                **options,
                group_id=settings.group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_records=settings.batch_size,
                session_timeout_ms=settings.session_timeout_ms,
                heartbeat_interval_ms=settings.heartbeat_interval_ms,
            )
            self._processor = BatchProcessor(
                settings,
                store=self.store,
                metrics=self.metrics,
                consumer=consumer,
                producer=producer,
                partitions=partitions,
                source=self.source,
                batch_lock=self.batch_lock,
            )
            consumer.subscribe([settings.events_topic], listener=_ResumeFromStore(self))
            # Set before start(): the first assignment may call the listener meanwhile.
            self._consumer = consumer
            await consumer.start()
        except BaseException:
            await self.stop()
            raise
        self._running = True
        logger.info("aggregating %s as group %s", settings.events_topic, settings.group_id)

    async def stop(self) -> None:
        consumer, producer = self._consumer, self._producer
        self._consumer = self._producer = None
        self._processor = None
        self._running = False
        try:
            if consumer is not None:
                await consumer.stop()  # leaves the group: its partitions move at once
        finally:
            try:
                if producer is not None:
                    await producer.stop()
            finally:
                await self.store.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def assignment(self) -> frozenset[int]:
        """The partitions of the events topic the consumer holds now (aiokafka's view)."""
        consumer = self._consumer
        return frozenset(tp.partition for tp in consumer.assignment()) if consumer else frozenset()

    async def not_ready(self) -> str | None:
        """Readiness: started (joined the group) and the store answers."""
        if not self._running:
            return "consumer not started"
        try:
            await self.store.ping()
        except StoreError as exc:
            logger.warning("readiness: store unreachable: %s", exc)
            return "store unreachable"
        return None

    def _started(self) -> tuple[AIOKafkaConsumer, BatchProcessor]:
        if self._consumer is None or self._processor is None:
            raise RuntimeError("aggregator is not started")
        return self._consumer, self._processor

    async def process(self, batch: Batch) -> int:
        """Aggregate one batch; returns the number of records handled."""
        _, processor = self._started()
        return await processor.process(batch)

    async def resume(self, partitions: Collection[TopicPartition]) -> None:
        """Seek each partition to the store's next offset; start over on a new log."""
        consumer, _ = self._started()
        if not partitions:
            return
        stored = await self.store.load_offsets(self.settings.events_topic)
        starts = await consumer.beginning_offsets(list(partitions))
        reset: dict[int, int] = {}
        previous: set[str | None] = set()
        for tp in partitions:
            offset, source = stored.get(tp.partition, (None, None))
            if offset is not None and source == self.source:
                consumer.seek(tp, offset)
                continue
            if offset is not None:
                # Another broker's log (a new run id: `up` restarted its in-memory broker):
                # the stored offsets mean nothing here. Read this log from its start; ids
                # already counted are recognized as duplicates, so nothing counts twice.
                # (Not "offset past the end": the embedded broker under-reports the end.)
                previous.add(source)
                self.metrics.offset_resets.inc()
                reset[tp.partition] = starts[tp]
            consumer.seek(tp, starts[tp])
        if reset:
            # Expected on every restart of `up` (its broker starts empty): once, at INFO.
            logger.info(
                "new broker log %r (the stored offsets are from %s): reading %d partition(s) "
                "from the start; the totals carry on and repeats are dropped by event id",
                self.source, ", ".join(sorted(map(repr, previous))), len(reset),
            )  # fmt: skip
            # Persist at once: a crash before the first batch must not find the old offsets.
            async with self.store.transaction() as tx:
                await tx.save_offsets(self.settings.events_topic, reset, self.source)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll and process until `stop` is set; the batch in hand is always finished."""
        consumer, _ = self._started()
        while not stop.is_set():
            if self._needs_resume:
                try:
                    await self.resume(consumer.assignment())
                    self._needs_resume = False
                except (StoreError, KafkaError) as exc:
                    logger.warning("cannot resume from the store yet: %s", exc)
                    await asyncio.sleep(self.settings.retry_backoff_s)
                continue
            batch = await self._poll(consumer)
            if not batch:
                # Nothing to do is news too: the lag gauge must not keep a stale value.
                await self.metrics.lag.refresh(consumer)
                self.progress.moved()
                continue
            try:
                await self.process(batch)
                self.progress.moved()
            except (StoreError, KafkaError) as exc:
                if isinstance(exc, StoreError) and not exc.retriable:
                    raise
                # The transaction rolled back; positions are past the batch, so seek back.
                self.metrics.batch_failures.inc()
                logger.warning("batch rolled back, will read it again: %s", exc)
                self._needs_resume = True
                await asyncio.sleep(self.settings.retry_backoff_s)
            else:
                records = sum(map(len, batch.values()))
                await idle_between_polls(
                    stop, records, self.settings.batch_size, self.settings.idle_between_polls_ms
                )

    async def _poll(self, consumer: AIOKafkaConsumer) -> dict[TopicPartition, list[Any]]:
        """Up to `batch_size` records: one fetch often holds only a few dozen (one
        producer batch per partition), so keep collecting for `batch_linger_ms`."""
        settings = self.settings
        batch: dict[TopicPartition, list[Any]] = {}
        got = await consumer.getmany(
            timeout_ms=settings.poll_timeout_ms, max_records=settings.batch_size
        )
        count = 0
        deadline = time.monotonic() + settings.batch_linger_ms / 1000
        while got:
            for tp, records in got.items():
                batch.setdefault(tp, []).extend(records)
                count += len(records)
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if count >= settings.batch_size or remaining_ms <= 0:
                break
            got = await consumer.getmany(
                timeout_ms=remaining_ms, max_records=settings.batch_size - count
            )
        return batch
