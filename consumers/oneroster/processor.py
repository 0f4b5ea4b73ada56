"""One record through the writer: read, map, write, or dead-letter; and a batch of them
with one student's records in order and different students in parallel."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from enum import StrEnum
from typing import Final

from consumers.oneroster import mapping
from consumers.oneroster.dlq import Source, dead_letter
from consumers.oneroster.errors import MalformedRecordError, OneRosterError, WriteFailedError
from consumers.oneroster.mapping import ResultPlan
from consumers.oneroster.metrics import WriterMetrics

logger = logging.getLogger(__name__)

# Headers the front door sets (ingest.kafka.records): the event's `type`, and whether its
# `object.process` is true.
EVENT_TYPE_HEADER: Final = "event-type"
PROCESS_HEADER: Final = "process"
ACTIVITY_EVENT: Final = b"ActivityEvent"
NOT_ACTIVITY: Final = mapping.Skip("not_activity")
NOT_PROCESSED: Final = mapping.Skip("not_processed")

Writer = Callable[[ResultPlan], Awaitable[None]]
DeadLetterSink = Callable[[bytes | None, bytes, list[tuple[str, bytes]]], Awaitable[None]]


def header_skip(headers: Iterable[tuple[str, bytes]]) -> mapping.Skip | None:
    """The skip the front door's headers already decide, with the reason decoding would
    give, or None when the value must be read. Most events are not activities asking for
    a result, and decoding was most of their cost. A record without these headers (not
    written by the front door) is decoded."""
    kind = process = None
    for name, value in headers:
        if name == EVENT_TYPE_HEADER:
            kind = value
        elif name == PROCESS_HEADER:
            process = value
    if kind is None:
        return None
    if kind != ACTIVITY_EVENT:
        return NOT_ACTIVITY
    return NOT_PROCESSED if process == b"false" else None


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
        """What one record asks for, decided without I/O (from the headers alone where
        they decide, see `header_skip`)."""
        skip = header_skip(source.headers)
        if skip is not None:
            return skip
        try:
            return mapping.plan(mapping.decode(source.value))
        except MalformedRecordError as exc:
            return exc

    def count_skips(self, reasons: Counter[str]) -> None:
        """Skipped records, counted once per reason and batch: a labelled increment per
        record cost more than deciding the skip."""
        for reason, count in reasons.items():
            self._metrics.skipped.labels(reason).inc(count)
        if reasons and self._on_record is not None:
            self._on_record()

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
            self.count_skips(Counter((planned.reason,)))
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
    skips: Counter[str] = Counter()
    for index, source in enumerate(sources):
        planned = plans[index]
        if isinstance(planned, mapping.Skip):
            skips[planned.reason] += 1  # nothing to write or dead-letter: no task, no wait
        else:
            by_key.setdefault(source.key, []).append(index)
    processor.count_skips(skips)
    gate = asyncio.Semaphore(concurrency)

    async def run_key(indexes: list[int]) -> None:
        async with gate:
            for index in indexes:
                outcomes[index] = await processor.handle(sources[index], plans[index])

    async with asyncio.TaskGroup() as group:
        for indexes in by_key.values():
            group.create_task(run_key(indexes))
    return outcomes
