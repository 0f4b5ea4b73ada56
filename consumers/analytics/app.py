"""The analytics app factory: the routes, /healthz, /readyz, /metrics and offline /docs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi_offline import FastAPIOffline
from prometheus_client import CollectorRegistry, make_asgi_app
from starlette.responses import PlainTextResponse, Response

from consumers.analytics.auth import Authorize
from consumers.analytics.errors import AnalyticsError, ParameterError, error_response
from consumers.analytics.metrics import AnalyticsMetrics
from consumers.analytics.reader import FactReader
from consumers.analytics.routes import Context, analytics_router
from consumers.analytics.settings import AnalyticsSettings

logger = logging.getLogger(__name__)

DESCRIPTION: Final = """Exact XP and time facts of the Caliper pipeline, in the shape of the
Edubridge Analytics API. Every `/analytics` endpoint needs a bearer token with the
`analytics.readOnly` scope. Days are cut in the requested IANA `timezone` (default UTC) from
the per-event facts. Errors: 400 `{"status": "error", "message", "errors": [...]}`, one entry
per problem with the parameter's path; 503 (same body, `Retry-After`) when the store does
not answer."""


def create_app(
    *,
    reader: FactReader,
    settings: AnalyticsSettings,
    authorize: Authorize | None,
    registry: CollectorRegistry | None = None,
) -> FastAPI:
    """`authorize` checks the bearer token (raises AuthorizationError); None: auth is off."""
    registry = registry if registry is not None else CollectorRegistry()
    metrics = AnalyticsMetrics(registry)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await reader.start()
        try:
            yield
        finally:
            await reader.stop()

    app = FastAPIOffline(
        title="Caliper pipeline analytics",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        static_url="/docs/assets",
    )
    app.include_router(analytics_router(Context(reader, settings, metrics, authorize)))
    app.mount("/metrics", make_asgi_app(registry))

    @app.exception_handler(RequestValidationError)
    async def validation_failed(_: Request, exc: RequestValidationError) -> Response:
        problems: list[AnalyticsError] = [
            ParameterError(
                str(error.get("msg", "invalid")),
                path="$." + ".".join(str(part) for part in error.get("loc", ())),
            )
            for error in exc.errors()
        ]
        return error_response(problems or [ParameterError("invalid request")])

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        return PlainTextResponse("ok\n")

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        try:
            await reader.ping()
        except AnalyticsError as exc:
            return PlainTextResponse(f"store unreachable: {exc.message}\n", status_code=503)
        return PlainTextResponse("ready\n")

    return app
