"""The environment variable names of a process's settings, as the docs and deploy/ use them."""

from __future__ import annotations

from pydantic_settings import BaseSettings

from caliper_pipeline.kafka import KAFKA_SEGMENT, KafkaSettings


def variable_names(prefix: str, *settings: type[BaseSettings]) -> dict[str, str]:
    """Environment variable -> field name, the way pydantic-settings reads them: `prefix`
    + field of each class, plus the shared Kafka connection settings (`prefix` + `KAFKA_`
    + field) that every process reads (caliper_pipeline.kafka)."""
    names = {f"{prefix}{field.upper()}": field for cls in settings for field in cls.model_fields}
    names |= {
        f"{prefix}{KAFKA_SEGMENT}{field.upper()}": field for field in KafkaSettings.model_fields
    }
    return names


def setting_names(prefix: str, *settings: type[BaseSettings]) -> set[str]:
    return set(variable_names(prefix, *settings))
