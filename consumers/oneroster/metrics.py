"""Prometheus metrics of the results writer, on a registry its owner passes in."""

from __future__ import annotations

from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from consumers.lag import PartitionLag

_LATENCY_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class WriterMetrics:
    """Labels are bounded: skip reasons, retry reasons, stable error codes, outcomes."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.written = Counter(
            "caliper_oneroster_results_written_total",
            "Assessment results written (line item and result PUT succeeded).",
            registry=registry,
        )
        self.skipped = Counter(
            "caliper_oneroster_events_skipped_total",
            "Records not for this writer: not an ActivityEvent, or process is not true.",
            ["reason"],
            registry=registry,
        )
        self.retries = Counter(
            "caliper_oneroster_retries_total",
            "HTTP calls tried again, by reason.",
            ["reason"],
            registry=registry,
        )
        self.dead_lettered = Counter(
            "caliper_oneroster_dead_letters_total",
            "Records sent to the DLQ, by stable error code.",
            ["code"],
            registry=registry,
        )
        self.token_refreshes = Counter(
            "caliper_oneroster_token_refreshes_total",
            "OAuth2 tokens fetched: initial, expiry (refreshed early), unauthorized (a 401).",
            ["reason"],
            registry=registry,
        )
        self.write_latency = Histogram(
            "caliper_oneroster_write_duration_seconds",
            "Time to write one result (both PUTs, retries included), by outcome.",
            ["outcome"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.replayed = Counter(
            "caliper_oneroster_replayed_total",
            "Dead-lettered records re-driven by --replay-dlq, by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.lag = PartitionLag(
            Gauge(
                "caliper_oneroster_consumer_lag_records",
                "Records on caliper.events not yet processed, per partition this process holds.",
                ["partition"],
                registry=registry,
            )
        )
        self.dlq_records = Gauge(
            "caliper_oneroster_dlq_records",
            # Every replica reads the same topic: aggregate with max (sum counts it n times).
            "Records in the whole DLQ topic (high minus low watermark), read every "
            "dlq_size_refresh_s; each replica reports the whole topic: use max, not sum.",
            registry=registry,
        )
