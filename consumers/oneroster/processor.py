"""One record through the writer: read, map, write, or dead-letter; and a batch of them
with one student's records in order and different students in parallel."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from enum import StrEnum
from typing import Final

from consumers.oneroster import mapping
from consumers.oneroster.dlq import Source, dead_letter
from consumers.oneroster.errors import MalformedRecordError, OneRosterError, WriteFailedError
from consumers.oneroster.mapping import ResultPlan
from consumers.oneroster.metrics import WriterMetrics

logger = logging.getLogger(__name__)

# The header the front door sets from the event's `type` (ingest.kafka.records).
EVENT_TYPE_HEADER: Final = "event-type"
ACTIVITY_EVENT: Final = b"ActivityEvent"

Writer = Callable[[ResultPlan], Awaitable[None]]
DeadLetterSink = Callable[[bytes | None, bytes, list[tuple[str, bytes]]], Awaitable[None]]


class Outcome(StrEnum):
    WRITTEN = "written"
    SKIPPED = "skipped"
    DEAD_LETTERED = "dead_lettered"


class Processor:
    """Never raises for a bad record or a refused write: those are dead-lettered.

    What does raise (the DLQ unreachable, credentials refused) stops the batch
    before its offsets are committed, so nothing is lost.
    """

    def __init__(
        self,
        write: Writer,
        sink: DeadLetterSink,
        metrics: WriterMetrics,
        *,
        on_record: Callable[[], None] | None = None,
    ) -> None:
        self._write = write
        self._sink = sink
        self._metrics = metrics
        # Progress for the liveness probe: a slow batch still finishes records.
        self._on_record = on_record

    def plan(self, source: Source) -> ResultPlan | mapping.Skip | MalformedRecordError:
        """What one record asks for, decided without I/O. A record whose `event-type`
        header (the front door's) names another type is skipped without decoding its
        value: most events are not activities, and decoding was most of their cost."""
        kind = next((value for name, value in source.headers if name == EVENT_TYPE_HEADER), None)
        if kind is not None and kind != ACTIVITY_EVENT:
            return mapping.Skip("not_activity")
        try:
            return mapping.plan(mapping.decode(source.value))
        except MalformedRecordError as exc:
            return exc

    async def handle(
        self, source: Source, planned: ResultPlan | mapping.Skip | MalformedRecordError
    ) -> Outcome:
        """Act on `planned`, what `plan(source)` decided for this record."""
        outcome = await self._handle(source, planned)
        if self._on_record is not None:
            self._on_record()
        return outcome

    async def _handle(
        self, source: Source, planned: ResultPlan | mapping.Skip | MalformedRecordError
    ) -> Outcome:
        if isinstance(planned, MalformedRecordError):
            logger.warning(
                "malformed record %s/%d@%d: %s",
                source.topic,
                source.partition,
                source.offset,
                planned,
            )
            await self._dead_letter(source, planned)
            return Outcome.DEAD_LETTERED
        if isinstance(planned, mapping.Skip):
            self._metrics.skipped.labels(planned.reason).inc()
            return Outcome.SKIPPED
        started = time.perf_counter()
        try:
            await self._write(planned)
        except WriteFailedError as exc:
            logger.warning(
                "result %s dead-lettered: %s", planned.result.sourced_id, exc, exc_info=False
            )
            await self._dead_letter(source, exc)
            self._metrics.write_latency.labels("dead_lettered").observe(
                time.perf_counter() - started
            )
            return Outcome.DEAD_LETTERED
        self._metrics.write_latency.labels("written").observe(time.perf_counter() - started)
        self._metrics.written.inc()
        return Outcome.WRITTEN

    async def _dead_letter(self, source: Source, error: OneRosterError) -> None:
        await self._sink(*dead_letter(source, error))
        self._metrics.dead_lettered.labels(error.code).inc()


async def process_batch(
    sources: Sequence[Source], processor: Processor, concurrency: int
) -> list[Outcome]:
    """Every record handled before this returns; the caller commits afterwards.

    Records with the same key (one student: the front door keys by actor.id) run one
    after another in offset order; different keys run in parallel, at most
    `concurrency` at a time. A raising record cancels the rest (TaskGroup).
    """
    outcomes: list[Outcome] = [Outcome.SKIPPED] * len(sources)
    by_key: dict[bytes | None, list[int]] = {}
    plans = [processor.plan(source) for source in sources]
    for index, source in enumerate(sources):
        if isinstance(plans[index], mapping.Skip):
            # Nothing to write or dead-letter: no task, no wait (most records).
            outcomes[index] = await processor.handle(source, plans[index])
        else:
            by_key.setdefault(source.key, []).append(index)
    gate = asyncio.Semaphore(concurrency)

    async def run_key(indexes: list[int]) -> None:
        async with gate:
            for index in indexes:
                outcomes[index] = await processor.handle(sources[index], plans[index])

    async with asyncio.TaskGroup() as group:
        for indexes in by_key.values():
            group.create_task(run_key(indexes))
    return outcomes
