"""The results writer: poll `caliper.events`, write results, dead-letter failures, commit.

Offsets are committed only after every record of a batch is written, skipped or
dead-lettered. Work happens between polls, so a rebalance (which aiokafka runs
inside `getmany`) never finds uncommitted work to lose.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Collection
from types import TracebackType
from typing import Self

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError

from consumers.health.progress import Progress
from consumers.kafka import KafkaOptions
from consumers.oneroster.auth import TokenProvider
from consumers.oneroster.client import OneRosterClient
from consumers.oneroster.dlq import Source
from consumers.oneroster.gauges import KafkaGauges
from consumers.oneroster.kafka import DeadLetterProducer, make_consumer
from consumers.oneroster.metrics import WriterMetrics
from consumers.oneroster.processor import Processor, header_skip, process_batch
from consumers.oneroster.settings import WriterSettings
from consumers.polling import idle_between_polls

logger = logging.getLogger(__name__)


class OneRosterSession:
    """The HTTP side: one connection pool, the token cache and the retrying client."""

    def __init__(self, settings: WriterSettings, metrics: WriterMetrics) -> None:
        token_url, client_id, secret = (
            settings.token_url,
            settings.client_id,
            settings.client_secret,
        )
        if token_url is None or client_id is None or secret is None:
            raise ValueError("OneRoster is not configured")
        self.http = httpx.AsyncClient(
            timeout=settings.request_timeout_s,
            limits=httpx.Limits(max_connections=settings.concurrency * 2),
        )
        self.tokens = TokenProvider(
            self.http,
            token_url=token_url,
            client_id=client_id,
            client_secret=secret,
            scope=settings.scope,
            refresh_margin_s=settings.token_refresh_margin_s,
            metrics=metrics,
        )
        self.client = OneRosterClient(self.http, self.tokens, settings, metrics)

    async def aclose(self) -> None:
        await self.http.aclose()


class _FollowAssignment(ConsumerRebalanceListener):  # type: ignore[misc]
    """Nothing to commit here (work happens between polls): keep the lag series and
    the liveness check on the partitions this process holds."""

    def __init__(self, metrics: WriterMetrics, progress: Progress) -> None:
        self._metrics = metrics
        self._progress = progress

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        self._metrics.lag.forget(revoked)
        self._progress.revoked(tp.partition for tp in revoked)

    async def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        logger.info("partitions assigned: %s", sorted(tp.partition for tp in assigned))
        self._metrics.lag.keep_only(assigned)
        self._progress.assigned(tp.partition for tp in assigned)


class ResultsWriter:
    """`start()`, `run(stop)`, `stop()`; or `async with` around `run`."""

    name = "results writer"

    def __init__(
        self, *, settings: WriterSettings, kafka: KafkaOptions, metrics: WriterMetrics
    ) -> None:
        self._settings = settings
        self._kafka = kafka
        self._metrics = metrics
        self._session: OneRosterSession | None = None
        self._dlq = DeadLetterProducer(settings, kafka)
        self._consumer: AIOKafkaConsumer | None = None
        self.progress = Progress(settings.stall_timeout_s)

    async def start(self) -> None:
        if self._consumer is not None:
            return
        self._session = OneRosterSession(self._settings, self._metrics)
        try:
            await self._dlq.start()
            consumer = make_consumer(
                self._settings,
                self._kafka,
                self._settings.group_id,
                self._settings.events_topic,
                listener=_FollowAssignment(self._metrics, self.progress),
            )
            await consumer.start()
        except BaseException:
            await self.stop()
            raise
        self._consumer = consumer
        logger.info(
            "results writer consuming %s as %s",
            self._settings.events_topic,
            self._settings.group_id,
        )

    def assignment(self) -> frozenset[int]:
        """The partitions of the events topic the consumer holds now (aiokafka's view)."""
        consumer = self._consumer
        return frozenset(tp.partition for tp in consumer.assignment()) if consumer else frozenset()

    async def not_ready(self) -> str | None:
        """Readiness: OneRoster is configured (or this would be an IdleWriter) and the
        consumer has started."""
        return None if self._consumer is not None else "consumer not started"

    async def stop(self) -> None:
        consumer, self._consumer = self._consumer, None
        session, self._session = self._session, None
        if consumer is not None:
            await consumer.stop()
        await self._dlq.stop()
        if session is not None:
            await session.aclose()

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

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set: then finish the batch in hand within the shutdown timeout
        and commit it; a batch cut short is not committed and will be redelivered
        (harmless: every write is an idempotent PUT)."""
        consumer, session = self._consumer, self._session
        if consumer is None or session is None:
            raise RuntimeError("start() the writer first")
        processor = Processor(
            session.client.write, self._dlq.send, self._metrics, on_record=self.progress.moved
        )
        gauges = KafkaGauges(
            self._metrics,
            self._settings.dlq_topic,
            self._dlq.partitions,
            self._settings.dlq_size_refresh_s,
            self._kafka,
        )
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=self._settings.poll_timeout_ms)
            records = [record for part in batch.values() for record in part]
            if not records:
                await gauges.refresh(consumer)
                self.progress.moved()
                continue
            # Skips the headers decide never become a Source (most records).
            sources, skips = [], Counter[str]()
            for r in records:
                skip = header_skip(r.headers)
                if skip is None:
                    sources.append(
                        Source(r.topic, r.partition, r.offset, r.key, r.value, list(r.headers))
                    )
                else:
                    skips[skip.reason] += 1
            processor.count_skips(skips)
            work = asyncio.create_task(
                process_batch(sources, processor, self._settings.concurrency)
            )
            if not await self._finish(work, stop):
                return
            offsets = {tp: part[-1].offset + 1 for tp, part in batch.items() if part}
            await self._commit(consumer, offsets)
            await gauges.refresh(consumer)
            self.progress.moved()
            settings = self._settings
            await idle_between_polls(
                stop, len(records), settings.max_poll_records, settings.idle_between_polls_ms
            )

    async def _finish(self, work: asyncio.Task[object], stop: asyncio.Event) -> bool:
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not work.done():
            logger.info("stopping: finishing the current batch")
            try:
                await asyncio.wait_for(work, self._settings.shutdown_timeout_s)
            except TimeoutError:
                logger.warning("batch not finished in time: left uncommitted for redelivery")
                return False
        work.result()  # a fatal error (DLQ down, credentials refused) propagates here
        return True

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        try:
            await consumer.commit(offsets)
        except CommitFailedError:
            # Partitions moved to another member meanwhile; it redelivers, the PUTs repeat.
            logger.warning("commit failed after a rebalance; records will be redelivered")
