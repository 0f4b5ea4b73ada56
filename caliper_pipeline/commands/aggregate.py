"""`caliper-pipeline aggregate`: the facts aggregator as its own process."""

from __future__ import annotations

import argparse
import logging
from contextlib import AsyncExitStack
from typing import Final

from prometheus_client import CollectorRegistry, start_http_server

from caliper_pipeline.kafka import KafkaSettings
from caliper_pipeline.logs import configure_logging, log_settings
from caliper_pipeline.runtime import Plan, run
from consumers.aggregator.service import aggregator_service
from consumers.aggregator.settings import ENV_PREFIX, AggregatorSettings

logger = logging.getLogger(__name__)

# Printed once the service runs (`up` waits for it before starting the next part).
READY_LINE: Final = "aggregator: ready"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store", help="store URL (overrides CALIPER_AGGREGATOR_STORE_URL), e.g. sqlite:///x.db"
    )
    parser.add_argument(
        "--bootstrap-servers",
        help="Kafka (overrides CALIPER_AGGREGATOR_KAFKA_BOOTSTRAP_SERVERS)",
    )
    parser.add_argument("--group-id", help="consumer group (overrides CALIPER_AGGREGATOR_GROUP_ID)")


def settings_from(args: argparse.Namespace) -> AggregatorSettings:
    """Built once here and passed down: nothing else reads the environment."""
    settings = AggregatorSettings()
    overrides = {
        name: value
        for name, value in (
            ("store_url", getattr(args, "store", None)),
            ("group_id", getattr(args, "group_id", None)),
        )
        if value is not None
    }
    # Validate through the model (model_copy would skip SecretStr conversion).
    return AggregatorSettings(**{**settings.model_dump(), **overrides}) if overrides else settings


def kafka_from(args: argparse.Namespace) -> KafkaSettings:
    bootstrap = getattr(args, "bootstrap_servers", None)
    overrides = {"bootstrap_servers": bootstrap} if bootstrap is not None else {}
    return KafkaSettings.for_process(ENV_PREFIX, **overrides)


def run_aggregate(args: argparse.Namespace) -> int:
    settings, kafka = settings_from(args), kafka_from(args)
    configure_logging(settings.log_level, settings.log_format)
    log_settings("aggregator", settings.redacted())
    log_settings("kafka", kafka.redacted())
    registry = CollectorRegistry()
    if settings.metrics_port:
        start_http_server(settings.metrics_port, registry=registry)
        logger.info("metrics on :%d/metrics", settings.metrics_port)

    async def build(_: AsyncExitStack) -> Plan:
        service = aggregator_service(settings, kafka=kafka.client_options(), registry=registry)
        return Plan([service], on_ready=lambda: print(READY_LINE, flush=True))

    return run(build, shutdown_timeout_s=settings.shutdown_timeout_s)
