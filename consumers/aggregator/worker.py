"""The loop: poll a batch, decide, change the store and publish in one transaction.

Order inside a batch, and why:
1. claim ids, add totals, save offsets: all in one open store transaction;
2. publish facts, totals and conflicts and wait for acks, still inside it;
3. commit. A crash before 3 rolls everything back: the batch is read again and
   re-publishes identical absolute totals. A crash after 3 lost nothing.
On assignment the consumer seeks to the store's offsets, never to Kafka's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Final, Self

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

from consumers.aggregator.batch import Candidate, Outcome, decide, first_versions
from consumers.aggregator.folding import Totals, daily_value, encode_key, fold
from consumers.aggregator.metrics import AggregatorMetrics
from consumers.aggregator.output import BatchSender, partition_counts
from consumers.aggregator.records import Kind, conflict_value, fact_value, parse
from consumers.aggregator.settings import AggregatorSettings
from consumers.aggregator.store import Store, StoreError
from consumers.aggregator.topics import prepare

logger = logging.getLogger(__name__)

Batch = Mapping[TopicPartition, Sequence[Any]]

_OUTPUT_BATCH_BYTES: Final = 1_048_576


def _unix(timestamp: str | None) -> float | None:
    try:
        return datetime.fromisoformat(timestamp).timestamp() if timestamp else None
    except ValueError:
        return None


class _ResumeFromStore(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, aggregator: Aggregator) -> None:
        self._aggregator = aggregator

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        # Let the batch in flight commit (or roll back) before another member takes over.
        async with self._aggregator.batch_lock:
            logger.info("partitions revoked: %s", sorted(tp.partition for tp in revoked))

    async def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        logger.info("partitions assigned: %s", sorted(tp.partition for tp in assigned))
        await self._aggregator.resume(assigned)


class Aggregator:
    """Owns a consumer, a producer and a store; `start()`/`stop()` or `async with`."""

    def __init__(
        self, settings: AggregatorSettings, *, store: Store, metrics: AggregatorMetrics
    ) -> None:
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.batch_lock = asyncio.Lock()
        self.source = ""
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._needs_resume = False
        self._partitions: dict[str, int] = {}

    async def start(self) -> None:
        if self._consumer is not None:
            return
        settings = self.settings
        options = settings.kafka_options()
        await self.store.start()
        try:
            self.source = await prepare(settings)
            self._producer = AIOKafkaProducer(
                **options,
                acks="all",
                enable_idempotence=settings.enable_idempotence,
                linger_ms=settings.linger_ms,
                max_batch_size=_OUTPUT_BATCH_BYTES,
                max_request_size=2 * _OUTPUT_BATCH_BYTES,
            )
            await self._producer.start()
            self._partitions = await partition_counts(
                self._producer,
                [settings.facts_topic, settings.daily_topic, settings.conflicts_topic],
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
            consumer.subscribe([settings.events_topic], listener=_ResumeFromStore(self))
            # Set before start(): the first assignment may call the listener meanwhile.
            self._consumer = consumer
            await consumer.start()
        except BaseException:
            await self.stop()
            raise
        logger.info("aggregating %s as group %s", settings.events_topic, settings.group_id)

    async def stop(self) -> None:
        consumer, producer = self._consumer, self._producer
        self._consumer = self._producer = None
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

    def _started(self) -> tuple[AIOKafkaConsumer, AIOKafkaProducer]:
        if self._consumer is None or self._producer is None:
            raise RuntimeError("aggregator is not started")
        return self._consumer, self._producer

    async def resume(self, partitions: Collection[TopicPartition]) -> None:
        """Seek each partition to the store's next offset; start over on a new log."""
        consumer, _ = self._started()
        if not partitions:
            return
        stored = await self.store.load_offsets(self.settings.events_topic)
        starts = await consumer.beginning_offsets(list(partitions))
        reset: dict[int, int] = {}
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
                logger.warning(
                    "partition %d: stored offset %d belongs to broker %r, not %r: "
                    "reading from the start",
                    tp.partition, offset, source, self.source,
                )  # fmt: skip
                self.metrics.offset_resets.inc()
                reset[tp.partition] = starts[tp]
            consumer.seek(tp, starts[tp])
        if reset:
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
                await self._refresh_lag(consumer)
                continue
            try:
                await self.process(batch)
            except (StoreError, KafkaError) as exc:
                if isinstance(exc, StoreError) and not exc.retriable:
                    raise
                # The transaction rolled back; positions are past the batch, so seek back.
                self.metrics.batch_failures.inc()
                logger.warning("batch rolled back, will read it again: %s", exc)
                self._needs_resume = True
                await asyncio.sleep(self.settings.retry_backoff_s)

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

    async def process(self, batch: Batch) -> int:
        """Aggregate one batch; returns the number of records handled."""
        consumer, _ = self._started()
        started = time.perf_counter()
        async with self.batch_lock:
            # A rebalance may have run between getmany and here: skip what is no longer ours.
            owned = consumer.assignment()
            candidates: list[Candidate] = []
            offsets: dict[int, int] = {}
            for tp, records in batch.items():
                if tp not in owned or not records:
                    continue
                offsets[tp.partition] = records[-1].offset + 1
                candidates.extend(self._classify(tp, records))
            if not offsets:
                return 0
            first = first_versions(candidates)
            async with self.store.transaction() as tx:
                known = await tx.claim([(i, c.parsed.digest) for i, c in first.items()])
                outcome = decide(candidates, first, known)
                deltas = fold(c.fact for c in outcome.counted)
                totals = await tx.add_totals(deltas) if deltas else []
                await tx.save_offsets(self.settings.events_topic, offsets, self.source)
                await self._publish(outcome, totals)
        self._observe(batch, outcome, offsets, started)
        if self.settings.commit_to_kafka:
            await self._commit_to_kafka(offsets)
        return sum(len(records) for records in batch.values())

    def _classify(self, tp: TopicPartition, records: Sequence[Any]) -> list[Candidate]:
        metrics = self.metrics
        candidates: list[Candidate] = []
        consumed: Counter[str] = Counter()
        for record in records:
            parsed = parse(record.value, record.headers)
            consumed[parsed.event_type] += 1
            if parsed.kind is Kind.FACT:
                candidates.append(Candidate(parsed, tp.partition, record.offset))
            elif parsed.kind is Kind.GENERIC:
                metrics.generic.inc()
            else:
                metrics.malformed.inc()
                logger.warning(
                    "skipping malformed record %s[%d]@%d: %s",
                    tp.topic, tp.partition, record.offset, parsed.reason,
                )  # fmt: skip
        # Once per type and batch: label lookups per record would cost more than parsing.
        for event_type, count in consumed.items():
            metrics.consumed.labels(metrics.event_type_label(event_type)).inc(count)
        return candidates

    async def _publish(self, outcome: Outcome, totals: Sequence[Totals]) -> None:
        """Send everything, then wait for every ack."""
        _, producer = self._started()
        settings = self.settings
        sender = BatchSender(producer, self._partitions)
        sender.add_all(
            settings.facts_topic,
            ((c.fact.student_id.encode(), fact_value(c.fact)) for c in outcome.counted),
        )
        sender.add_all(
            settings.daily_topic,
            ((encode_key(row.key), orjson.dumps(daily_value(row))) for row in totals),
        )
        for candidate, kept in outcome.conflicts:
            value = conflict_value(
                candidate.event_id,
                kept,
                candidate.parsed.digest,
                topic=settings.events_topic,
                partition=candidate.partition,
                offset=candidate.offset,
            )
            sender.add(settings.conflicts_topic, candidate.event_id.encode(), value)
        await sender.flush()

    def _observe(
        self, batch: Batch, outcome: Outcome, offsets: Mapping[int, int], started: float
    ) -> None:
        consumer, _ = self._started()
        metrics = self.metrics
        now = time.time()
        for event_type, count in Counter(c.fact.event_type for c in outcome.counted).items():
            metrics.facts.labels(event_type).inc(count)
        for candidate in outcome.counted:
            received = _unix(candidate.parsed.received_time)
            if received is not None:
                metrics.end_to_end.observe(max(0.0, now - received))
        metrics.duplicates.inc(len(outcome.duplicates))
        metrics.conflicts.inc(len(outcome.conflicts))
        if outcome.counted:
            event_time = _unix(outcome.counted[-1].fact.event_time)
            if event_time is not None:
                metrics.last_event_time.set(event_time)
        for tp in batch:
            highwater = consumer.highwater(tp)
            if highwater is not None and tp.partition in offsets:
                metrics.lag.labels(str(tp.partition)).set(highwater - offsets[tp.partition])
        metrics.batch_records.observe(sum(len(r) for r in batch.values()))
        metrics.batch_duration.observe(time.perf_counter() - started)

    async def _refresh_lag(self, consumer: AIOKafkaConsumer) -> None:
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            try:
                position = await consumer.position(tp)
            except KafkaError:  # revoked meanwhile: the next assignment refreshes it
                continue
            self.metrics.lag.labels(str(tp.partition)).set(max(0, highwater - position))

    async def _commit_to_kafka(self, offsets: Mapping[int, int]) -> None:
        """For lag tools only; the store's offsets are the truth, so failures are harmless."""
        consumer, _ = self._started()
        topic = self.settings.events_topic
        owned = consumer.assignment()
        commit = {TopicPartition(topic, p): o for p, o in offsets.items()}
        try:
            await consumer.commit({tp: o for tp, o in commit.items() if tp in owned})
        except KafkaError as exc:
            logger.debug("kafka commit skipped: %s", exc)
