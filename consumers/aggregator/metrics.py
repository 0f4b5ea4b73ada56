"""Prometheus metrics of the aggregator, registered in a registry the caller passes in.

Labels are bounded: outcome, event type (capped), partition number. Never ids.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from consumers.lag import PartitionLag

# Event types come from validated events, yet a label set must never grow without bound.
_MAX_EVENT_TYPES: Final = 64
_LATENCY_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_BATCH_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class AggregatorMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self._event_types: set[str] = set()
        self.consumed = Counter(
            "caliper_aggregator_events_consumed_total",
            "Records read from the events topic, by event type.",
            ["event_type"],
            registry=registry,
        )
        self.facts = Counter(
            "caliper_aggregator_facts_total",
            "Timeback events counted into the totals.",
            ["event_type"],
            registry=registry,
        )
        self.duplicates = Counter(
            "caliper_aggregator_duplicates_total",
            "Events whose id was already counted with identical content (ignored).",
            registry=registry,
        )
        self.conflicts = Counter(
            "caliper_aggregator_conflicts_total",
            "Events whose id was already counted with different content (not counted).",
            registry=registry,
        )
        self.generic = Counter(
            "caliper_aggregator_generic_events_total",
            "Generic Caliper events: not facts, skipped.",
            registry=registry,
        )
        self.malformed = Counter(
            "caliper_aggregator_malformed_records_total",
            "Records that are not a version-1 record of a usable event (skipped).",
            registry=registry,
        )
        self.batch_failures = Counter(
            "caliper_aggregator_batch_failures_total",
            "Batches rolled back and read again after a store or Kafka error.",
            registry=registry,
        )
        self.offset_resets = Counter(
            "caliper_aggregator_offset_resets_total",
            "Partitions read from the start because the broker's log is not the stored one.",
            registry=registry,
        )
        self.batch_duration = Histogram(
            "caliper_aggregator_batch_duration_seconds",
            "From a batch's arrival to its transaction's commit.",
            buckets=_BATCH_BUCKETS,
            registry=registry,
        )
        self.batch_records = Histogram(
            "caliper_aggregator_batch_records",
            "Records per batch.",
            buckets=(1, 10, 50, 100, 250, 500, 1000, 2000, 5000, 10000),
            registry=registry,
        )
        self.end_to_end = Histogram(
            "caliper_aggregator_end_to_end_latency_seconds",
            "From the front door receiving an event to its totals being published.",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.lag = PartitionLag(
            Gauge(
                "caliper_aggregator_consumer_lag_records",
                "Records in the events topic not yet aggregated, per partition this process holds.",
                ["partition"],
                registry=registry,
            )
        )
        self.last_event_time = Gauge(
            "caliper_aggregator_last_event_time_seconds",
            "eventTime (Unix seconds) of the last counted event.",
            registry=registry,
        )

    def event_type_label(self, event_type: str) -> str:
        if event_type in self._event_types:
            return event_type
        if len(self._event_types) < _MAX_EVENT_TYPES:
            self._event_types.add(event_type)
            return event_type
        return "other"
