"""`caliper-pipeline results [--replay-dlq]`: the OneRoster results writer process."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Final

import uvloop
from prometheus_client import CollectorRegistry, start_http_server
from pydantic import ValidationError

from consumers.oneroster.errors import AuthError
from consumers.oneroster.metrics import WriterMetrics
from consumers.oneroster.replay import replay_dead_letters
from consumers.oneroster.settings import WriterSettings
from consumers.oneroster.worker import ResultsWriter

logger = logging.getLogger(__name__)

_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)
NOT_CONFIGURED: Final = (
    "no OneRoster configured (CALIPER_ONEROSTER_BASE_URL unset): not consuming; "
    "events wait on the topic"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--replay-dlq",
        action="store_true",
        help="re-drive the dead-lettered events once, then exit",
    )


def run(args: argparse.Namespace) -> int:
    try:
        # Built once here and passed down: nothing else reads the environment.
        settings = WriterSettings()
    except ValidationError as exc:
        print(f"results: invalid settings: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logger.info("settings: %s", settings.redacted())
    registry = CollectorRegistry()
    if settings.metrics_port is not None:
        start_http_server(settings.metrics_port, registry=registry)
    try:
        return uvloop.run(_main(settings, registry, replay=bool(args.replay_dlq)))
    except KeyboardInterrupt:
        return 130


async def _main(settings: WriterSettings, registry: CollectorRegistry, *, replay: bool) -> int:
    metrics = WriterMetrics(registry)
    if replay:
        if not settings.configured:
            logger.error("%s; nothing to replay to", NOT_CONFIGURED)
            return 2
        summary = await replay_dead_letters(settings, metrics)
        print(
            f"replayed: written={summary.written} dead_lettered={summary.dead_lettered} "
            f"skipped={summary.skipped} unreadable={summary.unreadable}",
            flush=True,
        )
        return 0 if summary.dead_lettered == 0 and summary.unreadable == 0 else 1
    stop = asyncio.Event()
    main = asyncio.current_task()
    loop = asyncio.get_running_loop()

    def on_signal(sig: int) -> None:
        if stop.is_set() and main is not None:
            logger.warning("second %s: forcing exit", signal.Signals(sig).name)
            main.cancel()
        else:
            logger.info("%s: finishing the current batch, then stopping", signal.Signals(sig).name)
            stop.set()

    for sig in _SIGNALS:
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        return await serve_writer(settings, metrics, stop)
    except asyncio.CancelledError:
        return 130
    finally:
        for sig in _SIGNALS:
            loop.remove_signal_handler(sig)


async def serve_writer(
    settings: WriterSettings, metrics: WriterMetrics, stop: asyncio.Event
) -> int:
    """Run the writer until `stop` is set (what `up` calls beside the front door).

    Without OneRoster settings it does not consume: it says so and waits for `stop`.
    """
    if not settings.configured:
        logger.warning(NOT_CONFIGURED)
        await stop.wait()
        return 0
    try:
        async with ResultsWriter(settings=settings, metrics=metrics) as writer:
            await writer.run(stop)
    except AuthError as exc:
        logger.error("stopping: %s", exc)
        return 1
    return 0
