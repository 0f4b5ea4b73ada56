"""One record through the writer: read, map, write, or dead-letter; and a batch of them
with one student's records in order and different students in parallel."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from enum import StrEnum

from consumers.oneroster import mapping
from consumers.oneroster.dlq import Source, dead_letter
from consumers.oneroster.errors import MalformedRecordError, OneRosterError, WriteFailedError
from consumers.oneroster.mapping import ResultPlan
from consumers.oneroster.metrics import WriterMetrics

logger = logging.getLogger(__name__)

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

    async def handle(self, source: Source) -> Outcome:
        outcome = await self._handle(source)
        if self._on_record is not None:
            self._on_record()
        return outcome

    async def _handle(self, source: Source) -> Outcome:
        try:
            planned = mapping.plan(mapping.decode(source.value))
        except MalformedRecordError as exc:
            logger.warning(
                "malformed record %s/%d@%d: %s", source.topic, source.partition, source.offset, exc
            )
            await self._dead_letter(source, exc)
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
    by_key: dict[bytes | None, list[int]] = {}
    for index, source in enumerate(sources):
        by_key.setdefault(source.key, []).append(index)
    outcomes: list[Outcome] = [Outcome.SKIPPED] * len(sources)
    gate = asyncio.Semaphore(concurrency)

    async def run_key(indexes: list[int]) -> None:
        async with gate:
            for index in indexes:
                outcomes[index] = await processor.handle(sources[index])

    async with asyncio.TaskGroup() as group:
        for indexes in by_key.values():
            group.create_task(run_key(indexes))
    return outcomes
