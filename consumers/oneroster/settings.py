"""Settings of the results writer process, read once from `CALIPER_ONEROSTER_*` variables."""

from __future__ import annotations

from typing import Any, Final, Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX: Final = "CALIPER_ONEROSTER_"
_CONNECTION_FIELDS: Final = ("base_url", "token_url", "client_id", "client_secret")


class WriterSettings(BaseSettings):
    """Every knob of `caliper-pipeline results`; docs/oneroster.md lists each one (tested)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    # Kafka topics and group; the connection (`CALIPER_ONEROSTER_KAFKA_*`) is the
    # shell's KafkaSettings.
    events_topic: str = Field(default="caliper.events", description="Topic the writer reads.")
    dlq_topic: str = Field(
        default="oneroster.results.dlq", description="Dead-letter topic for failed writes."
    )
    dlq_partitions: int = Field(default=3, gt=0, description="Partitions of the DLQ if created.")
    replication_factor: int = Field(default=1, gt=0, description="Replication of the DLQ topic.")
    group_id: str = Field(
        default="oneroster-results-writer", description="Consumer group (replay adds `.replay`)."
    )
    max_poll_records: int = Field(default=500, gt=0, description="Most records per batch.")
    poll_timeout_ms: int = Field(default=500, gt=0, description="Longest wait for one batch.")
    idle_between_polls_ms: int = Field(
        default=0,
        ge=0,
        le=60_000,
        description="Wait this long after a batch smaller than `max_poll_records` before "
        "polling again, so one fetch brings what arrived meanwhile (`up` sets 200).",
    )
    session_timeout_ms: int = Field(default=10_000, gt=0, description="Group session timeout.")
    heartbeat_interval_ms: int = Field(default=3000, gt=0, description="Group heartbeat.")

    # OneRoster
    base_url: str | None = Field(
        default=None, description="OneRoster base URL, e.g. https://api.alpha-1edtech.ai."
    )
    token_url: str | None = Field(default=None, description="OAuth2 token endpoint.")
    client_id: str | None = Field(default=None, description="OAuth2 client id.")
    client_secret: SecretStr | None = Field(
        default=None, description="OAuth2 client secret (redacted)."
    )
    scope: str | None = Field(default=None, description="OAuth2 scope to request, if any.")
    token_refresh_margin_s: float = Field(
        default=60.0, ge=0, description="Refresh a token this long before it expires."
    )
    concurrency: int = Field(default=8, gt=0, description="Students written in parallel.")
    request_timeout_s: float = Field(default=10.0, gt=0, description="Timeout of one HTTP call.")
    retry_max: int = Field(default=5, ge=0, description="Retries of one call before the DLQ.")
    retry_backoff_s: float = Field(
        default=0.5, ge=0, description="First backoff; doubles per retry, full jitter."
    )
    retry_backoff_max_s: float = Field(default=30.0, ge=0, description="Longest backoff.")
    retry_after_max_s: float = Field(
        default=60.0, ge=0, description="Longest Retry-After honoured (longer ones are capped)."
    )

    # Process
    shutdown_timeout_s: float = Field(
        default=10.0, gt=0, description="On SIGTERM: time to finish the batch and commit."
    )
    dlq_size_refresh_s: float = Field(
        default=30.0, gt=0, description="How often the DLQ size gauge is read from Kafka."
    )
    metrics_port: int | None = Field(
        default=None, ge=0, le=65535, description="Serve /metrics on this port (off if unset)."
    )
    health_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="/healthz and /readyz on this port, answered by the event loop (off if "
        "unset; 0 = a free port).",
    )
    stall_timeout_s: float = Field(
        default=600.0,
        gt=0,
        description="/healthz fails after this long without a finished poll or record; "
        "longer than the slowest write of one record (retries and Retry-After included).",
    )
    log_level: str = Field(default="INFO", description="Level of the `consumers` loggers.")
    log_format: Literal["plain", "json"] = Field(
        default="plain", description="Log lines as plain text or as one JSON object each."
    )

    @model_validator(mode="after")
    def _all_or_nothing(self) -> Self:
        given = [name for name in _CONNECTION_FIELDS if getattr(self, name) is not None]
        if given and len(given) != len(_CONNECTION_FIELDS):
            missing = sorted(set(_CONNECTION_FIELDS) - set(given))
            raise ValueError(
                f"OneRoster is half configured: set {', '.join(missing)} too (or none of them)"
            )
        return self

    @property
    def configured(self) -> bool:
        """False: no OneRoster to write to, so the writer must not consume."""
        return self.base_url is not None

    def redacted(self) -> dict[str, Any]:
        """The settings as logged at startup: secrets shown as `**********`."""
        dump = self.model_dump()
        for name, value in dump.items():
            if isinstance(value, SecretStr):
                dump[name] = str(value)
        return dump
