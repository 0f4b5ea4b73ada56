"""One Kafka connection model for every process: names per prefix, options for aiokafka."""

from __future__ import annotations

import ssl

import pytest
from pydantic import ValidationError

from caliper_pipeline.kafka import KafkaSettings


@pytest.mark.parametrize("prefix", ["CALIPER_", "CALIPER_AGGREGATOR_", "CALIPER_ONEROSTER_"])
def test_each_process_reads_the_same_names_under_its_prefix(
    prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{prefix}KAFKA_BOOTSTRAP_SERVERS", "k1:9093,k2:9093")
    monkeypatch.setenv(f"{prefix}KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv(f"{prefix}KAFKA_SASL_MECHANISM", "PLAIN")
    monkeypatch.setenv(f"{prefix}KAFKA_SASL_USERNAME", "writer")
    monkeypatch.setenv(f"{prefix}KAFKA_SASL_PASSWORD", "hunter2")
    settings = KafkaSettings.for_process(prefix)
    assert settings.client_options() == {
        "bootstrap_servers": "k1:9093,k2:9093",
        "client_id": "caliper-pipeline",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "PLAIN",
        "sasl_plain_username": "writer",
        "sasl_plain_password": "hunter2",
    }
    assert "hunter2" not in repr(settings.redacted())
    # Another process's prefix does not leak in.
    other = "CALIPER_X_" if prefix != "CALIPER_X_" else "CALIPER_Y_"
    assert KafkaSettings.for_process(other).security_protocol == "PLAINTEXT"


def test_tls_builds_an_ssl_context() -> None:
    options = KafkaSettings(security_protocol="SSL").client_options()
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert "sasl_mechanism" not in options


@pytest.mark.parametrize(
    "values",
    [
        {"security_protocol": "SASL_SSL"},  # no mechanism or user
        {"sasl_mechanism": "PLAIN"},  # mechanism without a SASL protocol
        {"security_protocol": "KERBEROS"},
    ],
)
def test_incomplete_or_unknown_security_is_refused(values: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        KafkaSettings(**values)  # type: ignore[arg-type]
