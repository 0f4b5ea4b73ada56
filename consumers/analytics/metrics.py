"""Prometheus metrics of the analytics service (labels: endpoint, status class code)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class AnalyticsMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "caliper_analytics_requests_total",
            "Analytics requests answered, by endpoint and HTTP status.",
            ["endpoint", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "caliper_analytics_request_duration_seconds",
            "Time to answer an analytics request, store query included.",
            ["endpoint"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
            registry=registry,
        )
