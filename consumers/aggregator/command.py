"""`caliper-pipeline aggregate` and `python -m consumers.aggregator`.

`serve()` is the async entry point: `up` may await it in-process with its own `stop`
event and registry (`install_signals=False`), or run `python -m consumers.aggregator`
as a subprocess (what the crash tests do: a subprocess can be killed with -9).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

import uvloop
from prometheus_client import CollectorRegistry, start_http_server

from consumers.aggregator.metrics import AggregatorMetrics
from consumers.aggregator.settings import AggregatorSettings
from consumers.aggregator.store import open_store
from consumers.aggregator.worker import Aggregator

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store", help="store URL (overrides CALIPER_AGGREGATOR_STORE_URL), e.g. sqlite:///x.db"
    )
    parser.add_argument(
        "--bootstrap-servers", help="Kafka (overrides CALIPER_AGGREGATOR_BOOTSTRAP_SERVERS)"
    )
    parser.add_argument("--group-id", help="consumer group (overrides CALIPER_AGGREGATOR_GROUP_ID)")


def settings_from(args: argparse.Namespace) -> AggregatorSettings:
    """Built once here and passed down: nothing else reads the environment."""
    settings = AggregatorSettings()
    overrides = {
        name: value
        for name, value in (
            ("store_url", getattr(args, "store", None)),
            ("bootstrap_servers", getattr(args, "bootstrap_servers", None)),
            ("group_id", getattr(args, "group_id", None)),
        )
        if value is not None
    }
    # Validate through the model (model_copy would skip SecretStr conversion).
    return AggregatorSettings(**{**settings.model_dump(), **overrides}) if overrides else settings


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logger.info("settings: %s", settings.redacted())
    registry = CollectorRegistry()
    if settings.metrics_port:
        start_http_server(settings.metrics_port, registry=registry)
        logger.info("metrics on :%d/metrics", settings.metrics_port)
    try:
        return uvloop.run(serve(settings, registry=registry))
    except KeyboardInterrupt:
        return 130


async def serve(
    settings: AggregatorSettings,
    *,
    registry: CollectorRegistry,
    stop: asyncio.Event | None = None,
    install_signals: bool = True,
) -> int:
    """Aggregate until `stop` is set (or SIGTERM/SIGINT); 0 after a clean shutdown.

    Shutdown: the batch in hand is finished and committed, then the consumer leaves the
    group, all within `shutdown_timeout_s`; past that, or on a second signal, the batch
    is cancelled (its transaction rolls back, nothing is lost) and we exit.
    """
    stop = stop if stop is not None else asyncio.Event()
    store = open_store(settings.store_url.get_secret_value(), schema=settings.store_schema)
    aggregator = Aggregator(settings, store=store, metrics=AggregatorMetrics(registry))
    loop = asyncio.get_running_loop()
    run_task: asyncio.Task[None] | None = None

    def on_signal(signum: int) -> None:
        if stop.is_set() and run_task is not None:
            logger.warning("second signal %d: cancelling the batch in flight", signum)
            run_task.cancel()
        stop.set()

    if install_signals:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, on_signal, signum)
    try:
        await aggregator.start()
        run_task = asyncio.create_task(aggregator.run(stop))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({run_task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not run_task.done():
            logger.info("stopping: finishing the batch in flight")
            await asyncio.wait({run_task}, timeout=settings.shutdown_timeout_s)
            if not run_task.done():
                logger.warning("shutdown timeout: cancelling the batch in flight")
                run_task.cancel()
        try:
            await run_task
        except asyncio.CancelledError:
            if not stop.is_set():
                raise
        return 0
    finally:
        try:
            await asyncio.wait_for(aggregator.stop(), settings.shutdown_timeout_s)
        finally:
            if install_signals:
                for signum in (signal.SIGTERM, signal.SIGINT):
                    loop.remove_signal_handler(signum)
