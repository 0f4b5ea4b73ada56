"""The environment variable names of a process's settings, as the docs tables list them."""

from __future__ import annotations

from pydantic_settings import BaseSettings

from caliper_pipeline.kafka import KAFKA_SEGMENT, KafkaSettings


def setting_names(prefix: str, *settings: type[BaseSettings], kafka: bool = True) -> set[str]:
    """`prefix` + field name of each class, plus the shared Kafka connection settings
    (`prefix` + `KAFKA_` + field) that every process reads."""
    names = {f"{prefix}{field.upper()}" for cls in settings for field in cls.model_fields}
    if kafka:
        names |= {f"{prefix}{KAFKA_SEGMENT}{field.upper()}" for field in KafkaSettings.model_fields}
    return names
