"""Settings of the aggregator process, read once from `CALIPER_AGGREGATOR_*` variables."""

from __future__ import annotations

from typing import Any, Final, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX: Final = "CALIPER_AGGREGATOR_"


def redact_url(url: str) -> str:
    """The URL with its password, if any, replaced: safe to log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":**********@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class AggregatorSettings(BaseSettings):
    """Every knob of `caliper-pipeline aggregate`; docs/aggregator.md lists each one.

    The Kafka connection (`CALIPER_AGGREGATOR_KAFKA_*`) is the shell's KafkaSettings."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    events_topic: str = Field(default="caliper.events", description="Topic read (front door's).")
    facts_topic: str = Field(default="timeback.facts", description="One record per counted event.")
    daily_topic: str = Field(
        default="timeback.facts.daily", description="Absolute daily totals (compacted)."
    )
    conflicts_topic: str = Field(
        default="caliper.events.conflicts", description="Same id, different content."
    )
    events_partitions: int = Field(default=12, gt=0, description="Partitions if it creates it.")
    facts_partitions: int = Field(default=12, gt=0, description="Partitions of the facts topic.")
    daily_partitions: int = Field(default=12, gt=0, description="Partitions of the daily topic.")
    conflicts_partitions: int = Field(default=1, gt=0, description="Partitions of conflicts.")
    replication_factor: int = Field(default=1, gt=0, description="Of the topics it creates.")
    group_id: str = Field(default="caliper-aggregator", description="Kafka consumer group.")
    store_url: SecretStr = Field(
        default=SecretStr("sqlite://data/aggregator.sqlite3"),
        description="`sqlite:///abs/path`, `sqlite://rel/path` or `postgresql://user@host/db`.",
    )
    store_schema: str = Field(default="aggregator", description="PostgreSQL schema of the tables.")
    broker_run_id: str = Field(
        default="",
        description="Names the broker's log; a new value makes stored offsets void.",
    )
    batch_size: int = Field(default=2000, gt=0, description="Most records per batch (getmany).")
    batch_linger_ms: int = Field(
        default=50, ge=0, description="Keep collecting a batch this long while records come."
    )
    poll_timeout_ms: int = Field(default=500, gt=0, description="Longest wait for a batch.")
    idle_between_polls_ms: int = Field(
        default=0,
        ge=0,
        le=60_000,
        description="Wait this long after a batch smaller than `batch_size` before polling "
        "again, so one fetch brings what arrived meanwhile (`up` sets 200 for its broker).",
    )
    session_timeout_ms: int = Field(default=10_000, gt=0, description="Consumer group session.")
    heartbeat_interval_ms: int = Field(default=3000, gt=0, description="Group heartbeat period.")
    request_timeout_ms: int = Field(default=10_000, gt=0, description="Kafka request timeout.")
    linger_ms: int = Field(default=5, ge=0, description="Producer linger for output records.")
    enable_idempotence: bool = Field(
        default=False, description="Idempotent producer: on for Apache Kafka only."
    )
    commit_to_kafka: bool = Field(
        default=True, description="Also commit offsets to Kafka (for lag tools; not for truth)."
    )
    retry_backoff_s: float = Field(default=1.0, gt=0, description="Pause after a failed batch.")
    shutdown_timeout_s: float = Field(default=10.0, gt=0, description="SIGTERM: time to finish.")
    metrics_port: int = Field(
        default=0, ge=0, le=65535, description="Prometheus /metrics port; 0 = not served."
    )
    health_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="/healthz and /readyz, answered by the event loop; 0 = a free port.",
    )
    stall_timeout_s: float = Field(
        default=120.0,
        gt=0,
        description="/healthz fails after this long without a finished poll or batch.",
    )
    log_level: str = Field(default="INFO", description="Level of the `consumers` loggers.")
    log_format: Literal["plain", "json"] = Field(
        default="plain", description="Log lines as plain text or as one JSON object each."
    )

    def redacted(self) -> dict[str, Any]:
        """The settings as logged at startup: secrets masked, the store URL's password too."""
        dump = self.model_dump()
        for name, value in dump.items():
            if isinstance(value, SecretStr):
                dump[name] = str(value)
        dump["store_url"] = redact_url(self.store_url.get_secret_value())
        return dump
