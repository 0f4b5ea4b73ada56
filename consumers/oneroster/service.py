"""The results writer as a service the shell runs: the real writer, or an idle one;
with its health server when `health_port` is set."""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from consumers.health.progress import Progress
from consumers.health.service import WithHealth
from consumers.kafka import KafkaOptions
from consumers.oneroster.metrics import WriterMetrics
from consumers.oneroster.settings import WriterSettings
from consumers.oneroster.worker import ResultsWriter

logger = logging.getLogger(__name__)

NOT_CONFIGURED: Final = (
    "no OneRoster configured (CALIPER_ONEROSTER_BASE_URL unset): not consuming; "
    "events wait on the topic"
)


class IdleWriter:
    """Without OneRoster settings the writer must not consume (the events would be
    committed unwritten): it says so and waits to be stopped."""

    name = "results writer"

    def __init__(self) -> None:
        # Never assigned partitions: alive while the loop answers, never ready.
        self.progress = Progress(stall_timeout_s=1.0)

    async def start(self) -> None:
        logger.warning(NOT_CONFIGURED)

    async def not_ready(self) -> str | None:
        return "OneRoster not configured (CALIPER_ONEROSTER_BASE_URL unset)"

    async def run(self, stop: asyncio.Event) -> None:
        await stop.wait()

    async def stop(self) -> None:
        return None


def writer_service(
    settings: WriterSettings, *, kafka: KafkaOptions, metrics: WriterMetrics
) -> ResultsWriter | IdleWriter | WithHealth:
    writer: ResultsWriter | IdleWriter = (
        ResultsWriter(settings=settings, kafka=kafka, metrics=metrics)
        if settings.configured
        else IdleWriter()
    )
    if settings.health_port is None:
        return writer
    return WithHealth(writer, port=settings.health_port)
