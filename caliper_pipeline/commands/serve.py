"""`caliper-pipeline serve`: the front door alone, against a real Kafka."""

from __future__ import annotations

import argparse
import logging
from contextlib import AsyncExitStack
from typing import Final

from fastapi import FastAPI

from caliper_pipeline.kafka import KafkaSettings
from caliper_pipeline.logs import configure_logging, log_settings
from caliper_pipeline.runtime import EXIT_USAGE, Plan, run
from ingest.auth.factory import AuthConfigError
from ingest.http.app import create_app
from ingest.http.server import FrontDoorServer, bind
from ingest.settings import ENV_PREFIX, Settings

logger = logging.getLogger(__name__)

READY_PREFIX: Final = "front door: "


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, help="HTTP port (overrides CALIPER_PORT)")


def front_door_settings(args: argparse.Namespace) -> Settings:
    """Built once here and passed down: nothing else reads the environment."""
    settings = Settings()
    if getattr(args, "port", None) is not None:
        settings = settings.model_copy(update={"port": args.port})
    return settings


def run_serve(args: argparse.Namespace) -> int:
    settings = front_door_settings(args)
    kafka = KafkaSettings.for_process(ENV_PREFIX)
    configure_logging(settings.log_level, settings.log_format)
    log_settings("front door", settings.redacted())
    log_settings("kafka", kafka.redacted())
    try:
        app = create_app(settings=settings, kafka=kafka.client_options())
    except AuthConfigError as exc:
        logger.error("%s", exc)
        return EXIT_USAGE

    return run_front_door(app, settings, fallback=False)


def run_front_door(app: FastAPI, settings: Settings, *, fallback: bool) -> int:
    """Serve `app` until a signal; print READY_PREFIX + its URL once it serves (`up`
    waits for that line). `fallback`: a busy port means a free one, not an error."""

    async def build(_: AsyncExitStack) -> Plan:
        door = FrontDoorServer(app, settings, bind(settings.host, settings.port, fallback=fallback))
        return Plan([door], on_ready=lambda: print(f"{READY_PREFIX}{door.url}", flush=True))

    return run(build, shutdown_timeout_s=settings.shutdown_timeout_s)
