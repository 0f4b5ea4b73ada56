"""The aggregator as a service the shell runs: its store opened from the settings, and
its health server when `health_port` is set."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from consumers.aggregator.metrics import AggregatorMetrics
from consumers.aggregator.settings import AggregatorSettings
from consumers.aggregator.store_factory import open_store
from consumers.aggregator.worker import Aggregator
from consumers.health.service import WithHealth
from consumers.kafka import KafkaOptions


def aggregator_service(
    settings: AggregatorSettings, *, kafka: KafkaOptions, registry: CollectorRegistry
) -> Aggregator | WithHealth:
    """`start()` opens the store and joins the group; `run(stop)` finishes the batch in
    hand once `stop` is set (cancelling it rolls the batch back: nothing is lost)."""
    store = open_store(settings.store_url.get_secret_value(), schema=settings.store_schema)
    aggregator = Aggregator(settings, kafka=kafka, store=store, metrics=AggregatorMetrics(registry))
    if settings.health_port is None:
        return aggregator
    return WithHealth(aggregator, port=settings.health_port)
