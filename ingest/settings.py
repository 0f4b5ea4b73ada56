"""Settings of the front door process, read once from `CALIPER_*` variables."""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import AwareDatetime, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from validators.times import DEFAULT_EARLIEST, DEFAULT_MAX_FUTURE_S

ENV_PREFIX: Final = "CALIPER_"


class Settings(BaseSettings):
    """Every knob of `serve` and `up`; docs/front-door.md lists each one (tested)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    # HTTP
    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds.")
    port: int = Field(
        default=8080, ge=0, le=65535, description="HTTP port; 0 or busy = a free port."
    )
    max_body_bytes: int = Field(
        default=1_048_576, gt=0, description="Largest request body as sent on the wire (413 above)."
    )
    max_decompressed_bytes: int = Field(
        default=4_194_304, gt=0, description="Largest body after gzip decompression (413 above)."
    )
    max_events: int = Field(
        default=1000, gt=0, description="Most items accepted in one envelope's data."
    )
    max_errors: int = Field(default=100, gt=0, description="Most error entries in one 400 answer.")
    validation_engine: Literal["rust", "python"] = Field(
        default="rust",
        description="Schema engine of the hot path: jsonschema-rs (native) or fastjsonschema "
        "(pure Python; also used, with a warning, where the native wheel is missing).",
    )
    earliest_event_time: AwareDatetime = Field(
        default=DEFAULT_EARLIEST,
        description="eventTime and sendTime before this are refused (400 time_too_early).",
    )
    max_future_skew_s: float = Field(
        default=DEFAULT_MAX_FUTURE_S,
        ge=0,
        description="eventTime and sendTime later than the server's clock plus this are "
        "refused (400 time_in_future).",
    )
    shutdown_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Graceful shutdown: time to finish in-flight requests and flush.",
    )
    max_depth: int = Field(
        default=32, gt=0, le=200, description="Deepest JSON nesting accepted in a body (400 above)."
    )
    max_string_chars: int = Field(
        default=32_768, gt=0, description="Longest JSON string or key accepted (400 above)."
    )
    # How a request is read (ingest.http.edge): each answered with 431/408/503 and a close.
    max_header_bytes: int = Field(
        default=16_384, gt=0, description="Request line and headers, in bytes (431 above)."
    )
    header_timeout_s: float = Field(
        default=10.0, gt=0, description="Time to receive a request's headers (408 above)."
    )
    body_timeout_s: float = Field(
        default=30.0, gt=0, description="Time to receive a request's whole body (408 above)."
    )
    max_connections: int = Field(
        default=2048, gt=0, description="Open connections; more are answered 503 and closed."
    )
    keep_alive_timeout_s: int = Field(
        default=30, gt=0, description="Idle time before a keep-alive connection is closed."
    )
    max_requests_per_connection: int = Field(
        default=10_000,
        ge=0,
        description="Requests on one connection before it is closed (0: no limit); lets a "
        "load balancer spread long-lived clients.",
    )
    log_level: str = Field(default="INFO", description="Level of the `ingest` loggers.")
    log_format: Literal["plain", "json"] = Field(
        default="plain", description="Log lines as plain text or as one JSON object each."
    )
    access_log: bool = Field(default=False, description="Log every request (costs throughput).")

    # Kafka: the connection (CALIPER_KAFKA_BOOTSTRAP_SERVERS, SASL, TLS) is the shell's
    # KafkaSettings; these tune the front door's own topics and producer.
    events_topic: str = Field(default="caliper.events", description="Topic of accepted events.")
    rejected_topic: str = Field(
        default="caliper.events.rejected", description="Topic of rejected envelopes."
    )
    events_partitions: int = Field(default=12, gt=0, description="Partitions of the events topic.")
    rejected_partitions: int = Field(
        default=3, gt=0, description="Partitions of the rejected topic."
    )
    replication_factor: int = Field(
        default=1, gt=0, description="Replication factor of created topics."
    )
    rejected_body_bytes: int = Field(
        default=65_536,
        ge=0,
        description="Rejected records keep at most this many bytes of the body.",
    )
    publish_timeout_s: float = Field(
        default=5.0, gt=0, description="Longest wait for acknowledgements before answering 503."
    )
    max_pending_records: int = Field(
        default=200_000, gt=0, description="Records awaiting acks above which new posts get 503."
    )
    max_pending_rejected: int = Field(
        default=1000, gt=0, description="Rejected-envelope publishes in flight; more are dropped."
    )
    retry_after_s: int = Field(default=5, ge=0, description="Retry-After seconds sent with a 503.")
    kafka_linger_ms: int = Field(
        default=0,
        ge=0,
        description="Group commit window: how long a flush waits for more requests to share "
        "its batches (they fill while a request is in flight anyway; see "
        "benchmarks/publish.py).",
    )
    kafka_linger_bytes: int = Field(
        default=16_384,
        gt=0,
        description="The group commit window closes early once this many bytes of records "
        "are queued, as Kafka's `batch.size` ends its `linger.ms`.",
    )
    kafka_producers: int = Field(
        default=2,
        gt=0,
        le=16,
        description="Producer connections; a partition always uses the same one, so its "
        "order holds while several produce requests are in flight per broker.",
    )
    kafka_max_batch_bytes: int = Field(
        default=1_048_576, gt=0, description="Producer batch size per partition."
    )
    kafka_request_timeout_ms: int = Field(
        default=5000, gt=0, description="Producer and admin request timeout."
    )
    kafka_enable_idempotence: bool = Field(
        default=False,
        description="Idempotent producer: on for Apache Kafka, off for the embedded broker.",
    )
    kafka_compression: str | None = Field(
        default=None, description="Producer compression (e.g. gzip)."
    )

    # Authentication (ingest.auth); `up`'s local issuer is caliper_pipeline.dev
    auth_enabled: bool = Field(
        default=True,
        description="Require a bearer token; false is logged as a warning and shown on /readyz.",
    )
    auth_issuer: str | None = Field(
        default=None, description="`serve`: expected `iss` of tokens (required with auth)."
    )
    auth_jwks_url: str | None = Field(
        default=None, description="`serve`: the issuer's JWKS URL (required with auth)."
    )
    auth_token_url: str | None = Field(
        default=None,
        description="`serve`: token URL shown in /openapi.json (default: issuer + /oauth2/token).",
    )
    auth_audience: str | None = Field(
        default=None, description="Expected `aud` of tokens; unset: not checked."
    )
    auth_leeway_s: int = Field(
        default=30, ge=0, le=300, description="Clock skew allowed on `exp`, `nbf` and `iat`."
    )
    auth_jwks_max_age_s: float = Field(
        default=300.0, gt=0, description="Keys are refetched after this many seconds."
    )
    auth_jwks_min_refresh_s: float = Field(
        default=10.0, ge=0, description="At most one JWKS fetch per this interval (unknown kid)."
    )
    auth_jwks_timeout_s: float = Field(default=2.0, gt=0, description="Timeout of one JWKS fetch.")
    auth_known_clients: str = Field(
        default="",
        description="Comma-separated client ids used as metric labels; others count as `other`.",
    )

    # Rate limits per client (ingest.auth.ratelimit); 0 = off
    rate_limit_requests_per_s: float = Field(
        default=0.0, ge=0, description="Requests per second per client (token bucket); 0: off."
    )
    rate_limit_events_per_s: float = Field(
        default=0.0, ge=0, description="Events per second per client (token bucket); 0: off."
    )
    rate_limit_burst_s: float = Field(
        default=2.0, gt=0, description="Bucket size, in seconds of the rate (bursts allowed)."
    )

    def known_clients(self) -> frozenset[str]:
        return frozenset(c.strip() for c in self.auth_known_clients.split(",") if c.strip())

    def redacted(self) -> dict[str, Any]:
        """The settings as logged at startup: secrets shown as `**********`."""
        dump = self.model_dump()
        for name, value in dump.items():
            if isinstance(value, SecretStr):
                dump[name] = str(value)
        return dump
