"""One Kafka connection model for every process: the front door, the aggregator, the writer.

Each process reads it under its own prefix with the same names after it
(`CALIPER_KAFKA_BOOTSTRAP_SERVERS`, `CALIPER_AGGREGATOR_KAFKA_BOOTSTRAP_SERVERS`,
`CALIPER_ONEROSTER_KAFKA_BOOTSTRAP_SERVERS`, ...), and hands the product packages the
aiokafka keyword arguments it builds: they never read the environment themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, Literal, Self

from aiokafka.helpers import create_ssl_context
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]

KAFKA_SEGMENT: Final = "KAFKA_"


class KafkaSettings(BaseSettings):
    """Where Kafka is and how to authenticate to it; docs list these under each prefix."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Kafka bootstrap servers, comma-separated."
    )
    client_id: str = Field(
        default="caliper-pipeline", description="Client id sent to the broker (its logs, quotas)."
    )
    security_protocol: SecurityProtocol = Field(
        default="PLAINTEXT", description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL."
    )
    sasl_mechanism: SaslMechanism | None = Field(
        default=None, description="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (with SASL_*)."
    )
    sasl_username: str | None = Field(default=None, description="SASL user name.")
    sasl_password: SecretStr | None = Field(default=None, description="SASL password (redacted).")
    ssl_cafile: Path | None = Field(
        default=None, description="CA bundle that signed the brokers' certificates (SSL)."
    )
    ssl_certfile: Path | None = Field(
        default=None, description="Client certificate for mutual TLS (SSL)."
    )
    ssl_keyfile: Path | None = Field(default=None, description="Client certificate's key (SSL).")

    @classmethod
    def for_process(cls, env_prefix: str, **overrides: Any) -> Self:
        """The settings of the process whose prefix is `env_prefix` (e.g. `CALIPER_`)."""
        prefix = f"{env_prefix}{KAFKA_SEGMENT}"
        return cls(_env_prefix=prefix, **overrides)  # type: ignore[call-arg]

    @model_validator(mode="after")
    def _sasl_complete(self) -> Self:
        sasl = self.security_protocol.startswith("SASL_")
        if sasl and (self.sasl_mechanism is None or not self.sasl_username):
            raise ValueError(
                f"security_protocol {self.security_protocol} needs sasl_mechanism and "
                "sasl_username (and sasl_password)"
            )
        if not sasl and self.sasl_mechanism is not None:
            raise ValueError("sasl_mechanism is set but security_protocol is not SASL_*")
        return self

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in {"SSL", "SASL_SSL"}

    def client_options(self) -> dict[str, Any]:
        """aiokafka keyword arguments shared by producers, consumers and admin clients."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "client_id": self.client_id,
            "security_protocol": self.security_protocol,
        }
        if self.sasl_mechanism is not None:
            password = self.sasl_password
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": password.get_secret_value() if password else None,
            }
        if self.uses_tls:
            options["ssl_context"] = create_ssl_context(
                cafile=_str_or_none(self.ssl_cafile),
                certfile=_str_or_none(self.ssl_certfile),
                keyfile=_str_or_none(self.ssl_keyfile),
            )
        return options

    def redacted(self) -> dict[str, Any]:
        dump = self.model_dump(mode="json")
        if self.sasl_password is not None:
            dump["sasl_password"] = "**********"
        return dump


def _str_or_none(path: Path | None) -> str | None:
    return str(path) if path is not None else None
