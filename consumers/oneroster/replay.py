"""`--replay-dlq`: re-drive dead-lettered events once OneRoster is healthy again.

Reads the DLQ from the replay group's committed offsets up to the end offsets seen at
start (so records it dead-letters again are left for the next replay, not looped
on), writes each through the same path as the writer, commits after every batch.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from aiokafka import TopicPartition

from consumers.kafka import KafkaOptions
from consumers.offsets import end_offsets
from consumers.oneroster.dlq import Source, source_of_dead_letter
from consumers.oneroster.errors import MalformedRecordError
from consumers.oneroster.kafka import DeadLetterProducer, make_consumer
from consumers.oneroster.metrics import WriterMetrics
from consumers.oneroster.processor import Outcome, Processor, process_batch
from consumers.oneroster.settings import WriterSettings
from consumers.oneroster.worker import OneRosterSession

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplaySummary:
    written: int = 0
    dead_lettered: int = 0
    skipped: int = 0
    unreadable: int = 0


def replay_group(settings: WriterSettings) -> str:
    return f"{settings.group_id}.replay"


async def replay_dead_letters(
    settings: WriterSettings, kafka: KafkaOptions, metrics: WriterMetrics
) -> ReplaySummary:
    session = OneRosterSession(settings, metrics)
    dlq = DeadLetterProducer(settings, kafka)
    consumer = make_consumer(settings, kafka, replay_group(settings))
    counts: Counter[str] = Counter()
    try:
        await dlq.start()
        await consumer.start()
        partitions = consumer.partitions_for_topic(settings.dlq_topic) or set()
        tps = [TopicPartition(settings.dlq_topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        for tp in tps:
            committed = await consumer.committed(tp)
            if committed is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, committed)
        ends = await end_offsets(kafka, tps)
        done = {tp: await consumer.position(tp) for tp in tps}
        processor = Processor(session.client.write, dlq.send, metrics)
        while any(done[tp] < ends[tp] for tp in tps):
            batch = await consumer.getmany(timeout_ms=settings.poll_timeout_ms)
            sources: list[Source] = []
            offsets: dict[TopicPartition, int] = {}
            for tp, records in batch.items():
                for record in records:
                    if record.offset >= ends[tp]:
                        done[tp] = ends[tp]  # our own re-dead-letters: the next replay's
                        break
                    offsets[tp] = record.offset + 1
                    try:
                        sources.append(source_of_dead_letter(record.key, record.value))
                    except MalformedRecordError as exc:
                        logger.warning("DLQ record %s@%d unreadable: %s", tp, record.offset, exc)
                        counts["unreadable"] += 1
            for outcome in await process_batch(sources, processor, settings.concurrency):
                counts[outcome.value] += 1
                metrics.replayed.labels(outcome.value).inc()
            if offsets:
                await consumer.commit(offsets)
                done.update(offsets)
            # Offsets without records (transaction markers) advance the position only.
            for tp in tps:
                if tp not in batch and done[tp] < ends[tp]:
                    done[tp] = max(done[tp], await consumer.position(tp))
    finally:
        await consumer.stop()
        await dlq.stop()
        await session.aclose()
    summary = ReplaySummary(
        written=counts[Outcome.WRITTEN.value],
        dead_lettered=counts[Outcome.DEAD_LETTERED.value],
        skipped=counts[Outcome.SKIPPED.value],
        unreadable=counts["unreadable"],
    )
    logger.info("replay finished: %s", summary)
    return summary
