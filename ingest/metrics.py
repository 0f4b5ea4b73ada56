"""Prometheus metrics of the front door, on a registry the app factory is given."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Buckets in seconds, dense below 50 ms where the latency target sits.
_LATENCY_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
ENDPOINTS: Final = ("event", "validate")
# Client labels besides the configured client ids: bounded whatever tokens arrive.
OTHER: Final = "other"
ANONYMOUS: Final = "anonymous"  # auth turned off
UNAUTHENTICATED: Final = "unauthenticated"  # refused before a client was known


class Metrics:
    """Bounded labels only: endpoint (2 values), outcome, error code, known client."""

    def __init__(self, registry: CollectorRegistry, known_clients: Iterable[str] = ()) -> None:
        self.registry = registry
        self._clients = frozenset(known_clients) | {ANONYMOUS, UNAUTHENTICATED}
        self.requests = Counter(
            "caliper_ingest_requests_total",
            "Envelopes answered, by endpoint, HTTP status and client.",
            ["endpoint", "status", "client"],
            registry=registry,
        )
        self.errors = Counter(
            "caliper_ingest_errors_total",
            "Error entries returned to clients, by stable code.",
            ["code"],
            registry=registry,
        )
        self.events = Counter(
            "caliper_ingest_events_total",
            "Events acknowledged by the broker, by client.",
            ["client"],
            registry=registry,
        )
        self.rejected_dropped = Counter(
            "caliper_ingest_rejected_dropped_total",
            "Rejected envelopes not copied to the rejected topic (too many in flight).",
            registry=registry,
        )
        self.partial_publish = Counter(
            "caliper_ingest_partial_publish_total",
            "Envelopes answered 503 after their events were handed to the broker: some may "
            "be stored, so clients must retry with the same event ids.",
            registry=registry,
        )
        self.latency = Histogram(
            "caliper_ingest_request_duration_seconds",
            "Time from request to answer on the ingest endpoints.",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.pending = Gauge(
            "caliper_ingest_pending_records",
            "Records sent to the producer and not yet acknowledged.",
            registry=registry,
        )
        self.pending_limit = Gauge(
            "caliper_ingest_pending_records_limit",
            "MAX_PENDING_RECORDS: buffer fill is pending_records / this.",
            registry=registry,
        )
        self.publish_latency = Histogram(
            "caliper_ingest_publish_duration_seconds",
            "Time from handing an envelope's records to the producer to their last ack.",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        # Children resolved once: labels() costs a lock and a dict lookup per call.
        self._latency = {name: self.latency.labels(name) for name in ENDPOINTS}
        self._request_children: dict[tuple[str, int, str], Counter] = {}
        self._event_children: dict[str, Counter] = {}

    def client_label(self, client: str) -> str:
        return client if client in self._clients else OTHER

    def observe(self, publish: bool, status: int, seconds: float, client: str) -> None:
        """One answered request on /caliper/event (publish) or /caliper/event/validate."""
        endpoint = "event" if publish else "validate"
        label = self.client_label(client)
        child = self._request_children.get((endpoint, status, label))
        if child is None:
            child = self.requests.labels(endpoint, str(status), label)
            self._request_children[(endpoint, status, label)] = child
        child.inc()
        self._latency[endpoint].observe(seconds)

    def count_events(self, client: str, count: int) -> None:
        label = self.client_label(client)
        child = self._event_children.get(label)
        if child is None:
            child = self._event_children[label] = self.events.labels(label)
        child.inc(count)
