"""`caliper-pipeline analytics`: the read service over the aggregator's store."""

from __future__ import annotations

import argparse
import logging
from contextlib import AsyncExitStack
from typing import Final

from starlette.requests import Request

from caliper_pipeline.dev.issuer import LocalIssuer
from caliper_pipeline.dev.settings import DevSettings
from caliper_pipeline.logs import configure_logging, log_settings
from caliper_pipeline.runtime import EXIT_USAGE, Plan, run
from consumers.analytics.app import create_app
from consumers.analytics.auth import SCOPE_ANALYTICS_READ_ONLY, Authorize
from consumers.analytics.errors import AuthorizationError
from consumers.analytics.reader_factory import open_reader
from consumers.analytics.server import AnalyticsServer
from consumers.analytics.settings import AnalyticsSettings
from ingest.auth.factory import AuthConfigError, authenticator_for
from ingest.auth.tokens import Authenticator, AuthError
from ingest.http.server import bind
from ingest.settings import Settings

logger = logging.getLogger(__name__)

READY_PREFIX: Final = "analytics: "
REQUIRED: Final = frozenset({SCOPE_ANALYTICS_READ_ONLY})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, help="HTTP port (overrides CALIPER_ANALYTICS_PORT)")
    parser.add_argument(
        "--local-issuer",
        action="store_true",
        help="trust the local issuer of `up` (what `up` passes) instead of CALIPER_AUTH_JWKS_URL",
    )


def authorize_with(authenticator: Authenticator) -> Authorize:
    """The front door's token checks, answered in the analytics error shape."""

    async def authorize(request: Request) -> None:
        try:
            await authenticator.authenticate(request.scope)
        except AuthError as exc:
            raise AuthorizationError(
                exc.message, status=exc.status, code=exc.code, challenge=exc.challenge()
            ) from None

    return authorize


def _authorize(door: Settings, *, local_issuer: bool) -> Authorize | None:
    if not door.auth_enabled:
        logger.warning("authentication is OFF (CALIPER_AUTH_ENABLED=false): anyone may read")
        return None
    if local_issuer:
        issuer = LocalIssuer.from_settings(DevSettings(), audience=door.auth_audience)
        return authorize_with(issuer.authenticator(door, required_scopes=REQUIRED))
    authenticator = authenticator_for(door, required_scopes=REQUIRED)
    assert authenticator is not None  # auth is on
    return authorize_with(authenticator)


def run_analytics(args: argparse.Namespace) -> int:
    settings = AnalyticsSettings()
    if args.port is not None:
        settings = settings.model_copy(update={"port": args.port})
    door = Settings()
    configure_logging(settings.log_level, settings.log_format)
    log_settings("analytics", settings.redacted())
    try:
        authorize = _authorize(door, local_issuer=args.local_issuer)
    except AuthConfigError as exc:
        logger.error("%s", exc)
        return EXIT_USAGE
    reader = open_reader(
        settings.store_url.get_secret_value(),
        schema=settings.store_schema,
        timeout_s=settings.query_timeout_s,
    )
    app = create_app(reader=reader, settings=settings, authorize=authorize)

    async def build(_: AsyncExitStack) -> Plan:
        sock = bind(settings.host, settings.port, fallback=args.local_issuer)
        server = AnalyticsServer(app, sock, shutdown_timeout_s=settings.shutdown_timeout_s)
        return Plan([server], on_ready=lambda: print(f"{READY_PREFIX}{server.url}", flush=True))

    return run(build, shutdown_timeout_s=settings.shutdown_timeout_s)
