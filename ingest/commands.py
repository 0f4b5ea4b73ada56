"""`caliper-pipeline serve` and `caliper-pipeline up`."""

from __future__ import annotations

import argparse
import logging
import sys

import uvloop

from ingest.app import create_app
from ingest.broker import EmbeddedBroker
from ingest.server import bind, make_server, serve
from ingest.settings import Settings
from ingest.try_it import curl_example

logger = logging.getLogger(__name__)

# `up` is a try-it mode: the embedded broker and the front door listen on loopback only.
UP_HOST = "127.0.0.1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, help="HTTP port (overrides CALIPER_PORT)")


def run_serve(args: argparse.Namespace) -> int:
    return _run(_serve, _settings(args))


def run_up(args: argparse.Namespace) -> int:
    return _run(_up, _settings(args))


def _settings(args: argparse.Namespace) -> Settings:
    # Built once here and passed down: nothing else reads the environment.
    settings = Settings()
    if args.port is not None:
        settings = settings.model_copy(update={"port": args.port})
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logger.info("settings: %s", settings.redacted())
    return settings


def _run(runner: object, settings: Settings) -> int:
    assert callable(runner)
    try:
        code: int = uvloop.run(runner(settings))
    except KeyboardInterrupt:
        # A signal before the server installed its handlers (e.g. while starting).
        code = 130
    return code


async def _serve(settings: Settings) -> int:
    sock = bind(settings.host, settings.port, fallback=False)
    server = make_server(create_app(settings=settings), settings)

    def started() -> None:
        print(f"front door: http://{settings.host}:{sock.getsockname()[1]}", flush=True)

    return 0 if await serve(server, sock, on_started=started) else 1


async def _up(settings: Settings) -> int:
    async with EmbeddedBroker(host=UP_HOST, port=settings.kafka_port) as broker:
        settings = settings.model_copy(
            update={"host": UP_HOST, "kafka_bootstrap_servers": broker.bootstrap_servers}
        )
        sock = bind(UP_HOST, settings.port, fallback=True)
        url = f"http://{UP_HOST}:{sock.getsockname()[1]}"
        server = make_server(create_app(settings=settings), settings)

        def started() -> None:
            print(f"front door: {url}", flush=True)
            print(f"kafka: {broker.bootstrap_servers}", flush=True)
            print(f"try it: {curl_example(url)}", flush=True)

        ok = await serve(server, sock, on_started=started)
    return 0 if ok else 1
