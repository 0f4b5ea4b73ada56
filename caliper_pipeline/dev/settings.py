"""Settings of the development servers that `up` and `token` start (`CALIPER_*`)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX: Final = "CALIPER_"


class DevSettings(BaseSettings):
    """`up`'s embedded broker, data dir, local issuer and OneRoster server; the front
    door's own settings are `ingest.settings.Settings`, under the same prefix."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    kafka_port: int = Field(
        default=9092,
        ge=0,
        le=65535,
        description="`up`: port of the embedded broker; 0 or busy = free.",
    )
    data_dir: Path = Field(
        default=Path(".caliper/data"),
        description="`up`: where the aggregator's SQLite store lives (kept across restarts).",
    )
    oneroster_dev_port: int = Field(
        default=8765,
        ge=0,
        le=65535,
        description="`up`: port of the development OneRoster server; 0 or busy = free.",
    )
    issuer_dir: Path = Field(
        default=Path(".caliper"), description="`up`/`token`: where the local issuer keeps its key."
    )
    issuer_clients: SecretStr | None = Field(
        default=None,
        description="`up`: `id:secret` pairs, comma-separated; unset: one generated client.",
    )
    consumers_nice: int = Field(
        default=19,
        ge=0,
        le=19,
        description="`up`: niceness added to the aggregator, results writer and analytics "
        "children: under a burst the front door and broker get the CPU first and the "
        "consumers catch up after (their lag shows on /metrics); 0: equal priority.",
    )
    up_partitions: int = Field(
        default=1,
        gt=0,
        description="`up`: partitions of the events, rejected, facts and daily topics on the "
        "embedded broker, unless set apart: one consumer per group reads them there, and "
        "that broker pays for each partition in every produce and fetch request.",
    )
    up_linger_ms: int = Field(
        default=5,
        ge=0,
        le=1000,
        description="`up`: the front door's group commit window unless `CALIPER_KAFKA_LINGER_MS` "
        "is set: the embedded broker keeps each batch as one object and walks them all on "
        "every fetch, so fewer, larger batches keep its fetches cheap as its log grows.",
    )
    up_idle_between_polls_ms: int = Field(
        default=200,
        ge=0,
        le=60_000,
        description="`up`: how long the aggregator and the results writer wait after a batch "
        "that was not full before polling again, unless their own setting is set: each fetch "
        "costs the embedded broker a walk of its whole log, so fewer fetches keep its core "
        "free for the front door's produce requests.",
    )
    issuer_token_ttl_s: int = Field(
        default=3600, gt=0, le=86_400, description="`up`/`token`: lifetime of issued tokens."
    )
