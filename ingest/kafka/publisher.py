"""Publishing to Kafka: the Publisher protocol and its aiokafka implementation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol, Self

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from ingest.errors import RETRY_SAME_IDS, OverloadedError, PublishError
from ingest.kafka.batcher import GroupCommitter
from ingest.kafka.partitioner import CachedMurmur2Partitioner
from ingest.kafka.records import Record
from ingest.settings import Settings

logger = logging.getLogger(__name__)

# Kafka's error code for "topic already exists": expected on every restart.
_TOPIC_ALREADY_EXISTS = 36

# aiokafka client keyword arguments (bootstrap servers, client id, SASL, TLS): the shell
# builds them from its Kafka settings, so this package never reads the environment.
KafkaOptions = Mapping[str, Any]


class Publisher(Protocol):
    """What the routes need from a broker; tests pass a fake through the app factory."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish_events(self, records: Sequence[Record]) -> None:
        """Return only once every record is acknowledged; raise PublishError otherwise."""

    def publish_rejected(self, record: Record) -> bool:
        """Fire and forget; False when dropped because too many are in flight."""

    async def ready(self) -> bool:
        """The broker answers and both topics exist."""

    @property
    def pending_records(self) -> int: ...


def client_options(kafka: KafkaOptions, settings: Settings) -> dict[str, Any]:
    """The shell's connection options plus the front door's request timeout."""
    return {**kafka, "request_timeout_ms": settings.kafka_request_timeout_ms}


async def ensure_topics(admin: AIOKafkaAdminClient, settings: Settings) -> None:
    """Create both topics with the configured partitions: never rely on auto-creation."""
    wanted = [
        NewTopic(settings.events_topic, settings.events_partitions, settings.replication_factor),
        NewTopic(
            settings.rejected_topic, settings.rejected_partitions, settings.replication_factor
        ),
    ]
    response = await admin.create_topics(wanted)
    for entry in response.to_object()["topic_errors"]:
        code = entry["error_code"]
        if code == _TOPIC_ALREADY_EXISTS:
            logger.info("topic %s already exists", entry["topic"])
        elif code != 0:
            raise PublishError(f"cannot create topic {entry['topic']}: error {code}")
        else:
            logger.info("created topic %s", entry["topic"])


def _maybe_stored(reason: str) -> PublishError:
    error = PublishError(f"{reason}: {RETRY_SAME_IDS}")
    error.maybe_stored = True
    return error


class KafkaPublisher:
    """aiokafka producer with acks=all, a bound on records awaiting acks, and a timeout.

    Records of concurrent requests share one batch per partition (ingest.kafka.batcher: group
    commit); each request waits for the acknowledgements of its own records only.
    """

    def __init__(self, settings: Settings, kafka: KafkaOptions) -> None:
        self._settings = settings
        self._kafka = kafka
        self._producers: tuple[AIOKafkaProducer, ...] = ()
        self._committer: GroupCommitter | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._pending = 0
        self._rejected_tasks: set[asyncio.Task[None]] = set()

    @property
    def pending_records(self) -> int:
        return self._pending

    async def start(self) -> None:
        if self._producers:
            return
        settings = self._settings
        options = client_options(self._kafka, settings)
        admin = AIOKafkaAdminClient(**options)
        await admin.start()
        producers: list[AIOKafkaProducer] = []
        try:
            await ensure_topics(admin, settings)
            for _ in range(settings.kafka_producers):
                producer = self._producer(options)
                await producer.start()
                producers.append(producer)
        except BaseException:
            for producer in producers:
                await producer.stop()
            await admin.close()
            raise
        self._admin, self._producers = admin, tuple(producers)
        self._committer = GroupCommitter(
            self._producers,
            settings.events_topic,
            linger_s=settings.kafka_linger_ms / 1000,
            linger_bytes=settings.kafka_linger_bytes,
        )

    def _producer(self, options: dict[str, Any]) -> AIOKafkaProducer:
        settings = self._settings
        return AIOKafkaProducer(
            **options,
            acks="all",
            enable_idempotence=settings.kafka_enable_idempotence,
            linger_ms=0,  # the group commit window is the events' linger (batcher.py)
            max_batch_size=settings.kafka_max_batch_bytes,
            max_request_size=max(settings.kafka_max_batch_bytes, 1_048_576),
            compression_type=settings.kafka_compression,
            partitioner=CachedMurmur2Partitioner(),
        )

    async def stop(self) -> None:
        """Flush what is queued (rejected records included), then close."""
        producers, admin = self._producers, self._admin
        self._producers, self._admin = (), None
        self._committer = None
        if self._rejected_tasks:
            await asyncio.wait(self._rejected_tasks, timeout=self._settings.publish_timeout_s)
        for producer in producers:
            await producer.stop()
        if admin is not None:
            await admin.close()

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

    async def publish_events(self, records: Sequence[Record]) -> None:
        committer = self._committer
        if committer is None:
            raise PublishError("The broker is not connected (starting or shutting down)")
        count = len(records)
        if self._pending + count > self._settings.max_pending_records:
            raise OverloadedError("Too many events are waiting for the broker")
        self._pending += count
        try:
            async with asyncio.timeout(self._settings.publish_timeout_s):
                await committer.publish(records)
        except TimeoutError as exc:
            raise _maybe_stored(
                "The broker did not acknowledge the events in time; some may be stored"
            ) from exc
        except KafkaError as exc:
            raise _maybe_stored(
                f"The broker refused the events ({type(exc).__name__}); some may be stored"
            ) from exc
        finally:
            self._pending -= count

    def publish_rejected(self, record: Record) -> bool:
        if not self._producers or len(self._rejected_tasks) >= self._settings.max_pending_rejected:
            return False
        task = asyncio.create_task(self._send_rejected(self._producers[0], record))
        self._rejected_tasks.add(task)
        task.add_done_callback(self._rejected_tasks.discard)
        return True

    async def _send_rejected(self, producer: AIOKafkaProducer, record: Record) -> None:
        try:
            async with asyncio.timeout(self._settings.publish_timeout_s):
                future = await producer.send(
                    self._settings.rejected_topic,
                    record.value,
                    key=record.key,
                    headers=record.headers,
                )
                await future
        except (TimeoutError, KafkaError) as exc:
            # The client already has its 400; losing this copy is logged, not raised.
            logger.warning("rejected envelope not published: %s", type(exc).__name__)

    async def ready(self) -> bool:
        admin = self._admin
        if admin is None:
            return False
        wanted = {self._settings.events_topic, self._settings.rejected_topic}
        try:
            async with asyncio.timeout(self._settings.kafka_request_timeout_ms / 1000):
                # list_topics, not describe_topics: asking metadata for a named topic
                # can auto-create it on some brokers, which would hide a missing topic.
                topics = set(await admin.list_topics())
        except (TimeoutError, KafkaError, OSError):
            return False
        return wanted <= topics
