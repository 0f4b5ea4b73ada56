"""Group commit: records of concurrent requests share one producer batch per partition.

aiokafka's `send()` costs a coroutine, a metadata check and a future per record,
which at 100 events per envelope is more than the rest of publishing. Here the
records of every request that arrived since the last flush are appended to one
`BatchBuilder` per partition (a C-accelerated append) and submitted with
`send_batch()`; each request waits only for the batches that hold its records.

With a commit window (`linger_s`, the front door's `CALIPER_KAFKA_LINGER_MS`) a flush
first waits that long, so more requests share its batches: fewer, larger batches for
the broker. As with Kafka's `linger.ms` and `batch.size`, the window closes early once
`linger_bytes` of record values are queued: under load the batches are large anyway,
and waiting longer would only add latency. The window is ours, not aiokafka's
`linger_ms`: aiokafka's linger starts when a batch is appended, after the one before it
has left, so requests arriving meanwhile would wait for two lingers instead of one.

aiokafka keeps one produce request in flight per broker connection, so a single
producer is round-trip bound when envelopes are small. The committer takes several
producers and sends each partition through always the same one (`partition % n`):
several requests are in flight per broker, and a partition's batches still leave in
order, one at a time, so one student's events keep their order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, Final

from aiokafka import AIOKafkaProducer

from ingest.kafka.partitioner import CachedMurmur2Partitioner
from ingest.kafka.records import Record

logger = logging.getLogger(__name__)

# Kafka's default `batch.size`: enough queued to fill a batch, the window closes.
DEFAULT_LINGER_BYTES: Final = 16_384


class _Ticket:
    """One request's share of a flush: done when every batch holding its records is."""

    __slots__ = ("future", "remaining")

    def __init__(self, future: asyncio.Future[None]) -> None:
        self.future = future
        self.remaining = 0

    def batch_done(self, error: BaseException | None) -> None:
        if self.future.done():
            return
        if error is not None:
            self.future.set_exception(error)
            return
        self.remaining -= 1
        if self.remaining == 0:
            self.future.set_result(None)


class GroupCommitter:
    """Appends, flushes in arrival order, resolves each request when its batches are acked.

    One flusher runs at a time, so batches for a partition are submitted in the order
    their records arrived: one student's events keep their order.
    """

    def __init__(
        self,
        producers: Sequence[AIOKafkaProducer],
        topic: str,
        *,
        linger_s: float = 0.0,
        linger_bytes: int = DEFAULT_LINGER_BYTES,
    ) -> None:
        if not producers:
            raise ValueError("at least one producer is needed")
        if linger_s < 0:
            raise ValueError("linger_s must be at least 0")
        if linger_bytes <= 0:
            raise ValueError("linger_bytes must be more than 0")
        self._producers = tuple(producers)
        self._topic = topic
        self._linger_s = linger_s
        self._linger_bytes = linger_bytes
        self._partitioner = CachedMurmur2Partitioner()
        self._queue: list[tuple[Sequence[Record], _Ticket]] = []
        self._queued_bytes = 0
        self._enough_queued = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None

    async def publish(self, records: Sequence[Record]) -> None:
        """Return once every record is acknowledged; raise the producer's error otherwise."""
        ticket = _Ticket(asyncio.get_running_loop().create_future())
        self._queue.append((records, ticket))
        if self._linger_s:
            self._queued_bytes += sum(len(record.value) for record in records)
            if self._queued_bytes >= self._linger_bytes:
                self._enough_queued.set()
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_until_empty())
        await ticket.future

    async def _flush_until_empty(self) -> None:
        while self._queue:
            if self._linger_s and self._queued_bytes < self._linger_bytes:
                with contextlib.suppress(TimeoutError):  # the commit window
                    await asyncio.wait_for(self._enough_queued.wait(), self._linger_s)
            queued, self._queue = self._queue, []
            self._queued_bytes = 0
            self._enough_queued.clear()
            try:
                await self._flush(queued)
            except Exception as exc:  # e.g. the buffer stayed full past the timeout
                for _, ticket in queued:
                    ticket.batch_done(exc)

    async def _flush(self, queued: list[tuple[Sequence[Record], _Ticket]]) -> None:
        partitions = sorted(await self._producers[0].partitions_for(self._topic))
        by_partition: dict[int, list[tuple[Record, _Ticket]]] = defaultdict(list)
        for records, ticket in queued:
            for record in records:
                partition = self._partitioner(record.key, partitions, partitions)
                by_partition[partition].append((record, ticket))
        batches = [
            (partition, batch, tickets)
            for partition, entries in by_partition.items()
            for batch, tickets in _fill_batches(self.producer_for(partition), entries)
        ]
        # Count every batch before submitting any: an ack arriving while later batches
        # are still being submitted must not complete a request early.
        for _, _, tickets in batches:
            for ticket in tickets:
                ticket.remaining += 1
        for _, ticket in queued:
            if ticket.remaining == 0:  # a request with no records
                ticket.future.set_result(None)
        for partition, batch, tickets in batches:
            future: asyncio.Future[Any] = await self.producer_for(partition).send_batch(
                batch, self._topic, partition=partition
            )
            future.add_done_callback(_resolver(tickets))

    def producer_for(self, partition: int) -> AIOKafkaProducer:
        return self._producers[partition % len(self._producers)]


def _fill_batches(
    producer: AIOKafkaProducer, entries: list[tuple[Record, _Ticket]]
) -> list[tuple[Any, set[_Ticket]]]:
    """Cut one partition's records into batches of at most the producer's batch size
    (a batch always takes its first record, however large)."""
    batches: list[tuple[Any, set[_Ticket]]] = []
    batch, tickets = producer.create_batch(), set[_Ticket]()
    for record, ticket in entries:
        if not _append(batch, record):
            batches.append((batch, tickets))
            batch, tickets = producer.create_batch(), set[_Ticket]()
            _append(batch, record)
        tickets.add(ticket)
    batches.append((batch, tickets))
    return batches


def _append(batch: Any, record: Record) -> bool:
    metadata = batch.append(
        key=record.key, value=record.value, timestamp=None, headers=record.headers
    )
    return metadata is not None


def _resolver(tickets: set[_Ticket]) -> Callable[[asyncio.Future[Any]], None]:
    def resolve(future: asyncio.Future[Any]) -> None:
        error = asyncio.CancelledError() if future.cancelled() else future.exception()
        for ticket in tickets:
            ticket.batch_done(error)

    return resolve
