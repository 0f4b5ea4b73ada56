"""`caliper-pipeline results [--replay-dlq]`: the OneRoster results writer process."""

from __future__ import annotations

import argparse
import logging
import sys
from contextlib import AsyncExitStack
from typing import Final

from prometheus_client import CollectorRegistry, start_http_server
from pydantic import ValidationError

from caliper_pipeline.kafka import KafkaSettings
from caliper_pipeline.logs import configure_logging, log_settings
from caliper_pipeline.runtime import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Plan, run, run_once
from consumers.oneroster.metrics import WriterMetrics
from consumers.oneroster.replay import replay_dead_letters
from consumers.oneroster.service import NOT_CONFIGURED, writer_service
from consumers.oneroster.settings import ENV_PREFIX, WriterSettings

logger = logging.getLogger(__name__)

# Printed once the service runs (`up` waits for it before starting the next part).
READY_LINE: Final = "results writer: ready"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--replay-dlq",
        action="store_true",
        help="re-drive the dead-lettered events once, then exit",
    )


def run_results(args: argparse.Namespace) -> int:
    try:
        # Built once here and passed down: nothing else reads the environment.
        settings = WriterSettings()
        kafka = KafkaSettings.for_process(ENV_PREFIX)
    except ValidationError as exc:
        print(f"results: invalid settings: {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings.log_level, settings.log_format)
    log_settings("results writer", settings.redacted())
    log_settings("kafka", kafka.redacted())
    registry = CollectorRegistry()
    if settings.metrics_port is not None:
        start_http_server(settings.metrics_port, registry=registry)
    metrics = WriterMetrics(registry)
    if args.replay_dlq:
        return run_once(lambda: _replay(settings, kafka, metrics))

    async def build(_: AsyncExitStack) -> Plan:
        service = writer_service(settings, kafka=kafka.client_options(), metrics=metrics)
        return Plan([service], on_ready=lambda: print(READY_LINE, flush=True))

    return run(build, shutdown_timeout_s=settings.shutdown_timeout_s)


async def _replay(settings: WriterSettings, kafka: KafkaSettings, metrics: WriterMetrics) -> int:
    if not settings.configured:
        logger.error("%s; nothing to replay to", NOT_CONFIGURED)
        return EXIT_USAGE
    summary = await replay_dead_letters(settings, kafka.client_options(), metrics)
    print(
        f"replayed: written={summary.written} dead_lettered={summary.dead_lettered} "
        f"skipped={summary.skipped} unreadable={summary.unreadable}",
        flush=True,
    )
    return EXIT_OK if summary.dead_lettered == 0 and summary.unreadable == 0 else EXIT_FAILED
