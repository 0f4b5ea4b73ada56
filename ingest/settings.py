"""Settings of the front door process, read once from `CALIPER_*` variables."""

from __future__ import annotations

from typing import Any, Final

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX: Final = "CALIPER_"


class Settings(BaseSettings):
    """Every knob of `serve` and `up`; the README table is checked against this class."""

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
    shutdown_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Graceful shutdown: time to finish in-flight requests and flush.",
    )
    log_level: str = Field(default="INFO", description="Level of the `ingest` loggers.")
    access_log: bool = Field(default=False, description="Log every request (costs throughput).")

    # Kafka
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        description="Kafka bootstrap servers for `serve` (`up` uses its own).",
    )
    kafka_port: int = Field(
        default=9092,
        ge=0,
        le=65535,
        description="`up`: port of the embedded broker; 0 or busy = free.",
    )
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
        default=2, ge=0, description="Producer linger: how long a batch waits for more records."
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
    kafka_security_protocol: str = Field(
        default="PLAINTEXT", description="PLAINTEXT or SASL_PLAINTEXT."
    )
    kafka_sasl_mechanism: str | None = Field(
        default=None, description="SASL mechanism, e.g. PLAIN."
    )
    kafka_sasl_username: str | None = Field(default=None, description="SASL user name.")
    kafka_sasl_password: SecretStr | None = Field(
        default=None, description="SASL password (redacted)."
    )

    def redacted(self) -> dict[str, Any]:
        """The settings as logged at startup: secrets shown as `**********`."""
        dump = self.model_dump()
        for name, value in dump.items():
            if isinstance(value, SecretStr):
                dump[name] = str(value)
        return dump
