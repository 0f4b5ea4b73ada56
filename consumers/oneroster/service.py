"""The results writer as a service the shell runs: the real writer, or an idle one."""

from __future__ import annotations

import asyncio
import logging
from typing import Final

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

    async def start(self) -> None:
        logger.warning(NOT_CONFIGURED)

    async def run(self, stop: asyncio.Event) -> None:
        await stop.wait()

    async def stop(self) -> None:
        return None


def writer_service(
    settings: WriterSettings, *, kafka: KafkaOptions, metrics: WriterMetrics
) -> ResultsWriter | IdleWriter:
    if not settings.configured:
        return IdleWriter()
    return ResultsWriter(settings=settings, kafka=kafka, metrics=metrics)
