"""The writer's Kafka clients: the DLQ topic and producer, and the consumer factory."""

from __future__ import annotations

import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from consumers.kafka import KafkaOptions
from consumers.oneroster.errors import OneRosterError
from consumers.oneroster.settings import WriterSettings
from consumers.topics import TopicError, create_topics

logger = logging.getLogger(__name__)


async def ensure_dlq_topic(settings: WriterSettings, kafka: KafkaOptions) -> None:
    """Create the DLQ with its configured partitions: never rely on auto-creation."""
    admin = AIOKafkaAdminClient(**kafka)
    await admin.start()
    try:
        wanted = NewTopic(settings.dlq_topic, settings.dlq_partitions, settings.replication_factor)
        await create_topics(admin, [wanted])
    except TopicError as exc:
        raise OneRosterError(str(exc), code="kafka") from exc
    finally:
        await admin.close()


def consumer_options(
    settings: WriterSettings, kafka: KafkaOptions, group_id: str
) -> dict[str, Any]:
    return {
        **kafka,
        "group_id": group_id,
        # Commits happen after a batch is written or dead-lettered, never before.
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "max_poll_records": settings.max_poll_records,
        "session_timeout_ms": settings.session_timeout_ms,
        "heartbeat_interval_ms": settings.heartbeat_interval_ms,
    }


class DeadLetterProducer:
    """acks=all and awaited: a record counts as dead-lettered only once Kafka has it."""

    def __init__(self, settings: WriterSettings, kafka: KafkaOptions) -> None:
        self._settings = settings
        self._kafka = kafka
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        if self._producer is not None:
            return
        await ensure_dlq_topic(self._settings, self._kafka)
        producer = AIOKafkaProducer(**self._kafka, acks="all")
        await producer.start()
        self._producer = producer

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def partitions(self) -> set[int]:
        """The DLQ topic's partitions, from the producer's metadata."""
        if self._producer is None:
            return set()
        partitions: set[int] = await self._producer.partitions_for(self._settings.dlq_topic)
        return partitions

    async def send(self, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        if self._producer is None:
            raise OneRosterError("DLQ producer is not started", code="kafka")
        await self._producer.send_and_wait(
            self._settings.dlq_topic, value, key=key, headers=headers
        )


def make_consumer(
    settings: WriterSettings,
    kafka: KafkaOptions,
    group_id: str,
    *topics: str,
    listener: ConsumerRebalanceListener | None = None,
) -> AIOKafkaConsumer:
    if listener is None:
        return AIOKafkaConsumer(*topics, **consumer_options(settings, kafka, group_id))
    consumer = AIOKafkaConsumer(**consumer_options(settings, kafka, group_id))
    consumer.subscribe(list(topics), listener=listener)
    return consumer
