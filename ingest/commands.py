"""`caliper-pipeline serve`, `caliper-pipeline up` and `caliper-pipeline token`."""

from __future__ import annotations

import argparse
import logging
import sys

import uvloop

from ingest.app import create_app
from ingest.auth import SCOPE_EVENT_CREATE
from ingest.issuer import LocalIssuer
from ingest.security import AuthConfigError
from ingest.server import bind, make_server, serve
from ingest.settings import Settings
from ingest.up import run_pipeline

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, help="HTTP port (overrides CALIPER_PORT)")


def add_token_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--client", help="client id (default: the first configured client)")
    parser.add_argument(
        "--scope", default=SCOPE_EVENT_CREATE, help="space-separated scopes (default event.create)"
    )


def run_serve(args: argparse.Namespace) -> int:
    return _run(_serve, _settings(args))


def run_token(args: argparse.Namespace) -> int:
    """Print a token of the local issuer (the one `up` trusts) for scripts."""
    settings = Settings()
    issuer = LocalIssuer.from_settings(settings)
    client = args.client or next(iter(issuer.clients))
    if client not in issuer.clients:
        print(f"unknown client {client!r}; known: {', '.join(issuer.clients)}", file=sys.stderr)
        return 2
    print(issuer.issue(client, args.scope.split()).access_token)
    return 0


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
    try:
        app = create_app(settings=settings)
    except AuthConfigError as exc:
        logger.error("%s", exc)
        return 2
    sock = bind(settings.host, settings.port, fallback=False)
    server = make_server(app, settings)

    def started() -> None:
        print(f"front door: http://{settings.host}:{sock.getsockname()[1]}", flush=True)

    return 0 if await serve(server, sock, on_started=started) else 1


async def _up(settings: Settings) -> int:
    return await run_pipeline(settings)
