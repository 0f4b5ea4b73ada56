"""One batch, one transaction: decide, change the store and publish, then commit.

Order inside a batch, and why:
1. claim ids, add totals, save offsets: all in one open store transaction;
2. publish facts, totals and conflicts and wait for acks, still inside it;
3. commit. A crash before 3 rolls everything back: the batch is read again and
   re-publishes identical absolute totals. A crash after 3 lost nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from consumers.aggregator.batch import Candidate, Outcome, decide, first_versions
from consumers.aggregator.folding import Totals, daily_value, encode_key, fold
from consumers.aggregator.memory import retain_freed_memory
from consumers.aggregator.metrics import AggregatorMetrics
from consumers.aggregator.output import BatchSender
from consumers.aggregator.records import Kind, conflict_value, fact_value, parse
from consumers.aggregator.settings import AggregatorSettings
from consumers.aggregator.store import Store

logger = logging.getLogger(__name__)

Batch = Mapping[TopicPartition, Sequence[Any]]

OUTPUT_BATCH_BYTES: Final = 1_048_576


def _unix(timestamp: str | None) -> float | None:
    try:
        return datetime.fromisoformat(timestamp).timestamp() if timestamp else None
    except ValueError:
        return None


class BatchProcessor:
    """Aggregates polled batches for the consumer loop (consumers.aggregator.worker)."""

    def __init__(
        self,
        settings: AggregatorSettings,
        *,
        store: Store,
        metrics: AggregatorMetrics,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        partitions: Mapping[str, int],
        source: str,
        batch_lock: asyncio.Lock,
    ) -> None:
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.consumer = consumer
        self.producer = producer
        self.partitions = partitions
        self.source = source
        # Held for a whole batch: a revoke waits for it to commit or roll back.
        self.batch_lock = batch_lock
        retain_freed_memory()

    async def process(self, batch: Batch) -> int:
        """Aggregate one batch; returns the number of records handled."""
        consumer = self.consumer
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
                counted = [c.fact for c in outcome.counted]
                if counted:
                    await tx.add_facts(counted)
                deltas = fold(counted)
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
        settings = self.settings
        sender = BatchSender(self.producer, self.partitions)
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
        consumer = self.consumer
        metrics = self.metrics
        now = time.time()
        for event_type, count in Counter(c.fact.event_type for c in outcome.counted).items():
            metrics.facts.labels(event_type).inc(count)
        # One parse per distinct receive time: a batch holds few (one per envelope).
        received_at: dict[str | None, float | None] = {}
        for candidate in outcome.counted:
            text = candidate.parsed.received_time
            if text not in received_at:
                received_at[text] = _unix(text)
            received = received_at[text]
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
                metrics.lag.set(tp.partition, highwater - offsets[tp.partition])
        metrics.batch_records.observe(sum(len(r) for r in batch.values()))
        metrics.batch_duration.observe(time.perf_counter() - started)

    async def _commit_to_kafka(self, offsets: Mapping[int, int]) -> None:
        """For lag tools only; the store's offsets are the truth, so failures are harmless."""
        consumer = self.consumer
        topic = self.settings.events_topic
        owned = consumer.assignment()
        commit = {TopicPartition(topic, p): o for p, o in offsets.items()}
        try:
            await consumer.commit({tp: o for tp, o in commit.items() if tp in owned})
        except KafkaError as exc:
            logger.debug("kafka commit skipped: %s", exc)
