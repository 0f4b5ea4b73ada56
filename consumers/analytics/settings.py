"""Settings of the analytics service, read once from `CALIPER_ANALYTICS_*` variables."""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from consumers.aggregator.settings import redact_url

ENV_PREFIX: Final = "CALIPER_ANALYTICS_"


class AnalyticsSettings(BaseSettings):
    """Every knob of `caliper-pipeline analytics`; docs/analytics.md lists each one.

    Authentication uses the front door's `CALIPER_AUTH_*` settings (same issuer, same
    JWKS); the scope required is `analytics.readOnly`."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    host: str = Field(default="127.0.0.1", description="Interface to listen on.")
    port: int = Field(default=8092, ge=0, le=65535, description="HTTP port (0: any free one).")
    store_url: SecretStr = Field(
        default=SecretStr("sqlite://data/aggregator.sqlite3"),
        description="The aggregator's store: `sqlite:///abs/path`, `sqlite://rel/path`, "
        "`postgresql://user@host/db`.",
    )
    store_schema: str = Field(default="aggregator", description="PostgreSQL schema of the tables.")
    max_range_days: int = Field(
        default=366, gt=0, description="Longest startDate..endDate range one request may ask."
    )
    query_timeout_s: float = Field(
        default=10.0, gt=0, description="A store query slower than this answers 503."
    )
    shutdown_timeout_s: float = Field(default=10.0, gt=0, description="Drain on SIGTERM.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO")
    log_format: Literal["plain", "json"] = Field(default="plain")

    def redacted(self) -> dict[str, Any]:
        values = self.model_dump()
        values["store_url"] = redact_url(self.store_url.get_secret_value())
        return values
