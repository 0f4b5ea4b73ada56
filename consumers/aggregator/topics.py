"""Topic creation and broker identity at startup (admin client)."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from consumers.aggregator.settings import AggregatorSettings
from consumers.kafka import KafkaOptions
from consumers.topics import create_topics


def wanted_topics(settings: AggregatorSettings) -> list[NewTopic]:
    rf = settings.replication_factor
    return [
        # The front door normally creates it; creating it here too means the aggregator
        # never depends on auto-creation (4 partitions on the embedded broker).
        NewTopic(settings.events_topic, settings.events_partitions, rf),
        NewTopic(settings.facts_topic, settings.facts_partitions, rf),
        # Values are absolute totals, so compaction keeps exactly what readers need.
        NewTopic(
            settings.daily_topic,
            settings.daily_partitions,
            rf,
            topic_configs={"cleanup.policy": "compact"},
        ),
        NewTopic(settings.conflicts_topic, settings.conflicts_partitions, rf),
    ]


async def prepare(settings: AggregatorSettings, kafka: KafkaOptions) -> str:
    """Create the topics; return the broker's identity (`source`) for stored offsets.

    Kafka's cluster id alone is not enough: the embedded broker reports the same id
    after every restart while forgetting every record, so `up` adds a run id.
    """
    admin = AIOKafkaAdminClient(**kafka, request_timeout_ms=settings.request_timeout_ms)
    await admin.start()
    try:
        await create_topics(admin, wanted_topics(settings))
        cluster = await admin.describe_cluster()
    finally:
        await admin.close()
    cluster_id = str(cluster.get("cluster_id") or "unknown")
    return f"{cluster_id}/{settings.broker_run_id}" if settings.broker_run_id else cluster_id
