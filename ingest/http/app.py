"""The app factory: everything the front door needs is passed in, nothing is global."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any, Final

from aiokafka.errors import KafkaError
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.responses import Response
from starlette.types import ASGIApp

from ingest.auth.factory import authenticator_for, token_url_for
from ingest.auth.ratelimit import RateLimiter
from ingest.auth.tokens import Authenticator
from ingest.errors import PublishError, body, json_response
from ingest.http.docs_page import add_docs_pages
from ingest.http.error_handlers import install_error_handlers
from ingest.http.openapi import (
    INGEST_RESPONSES,
    PUBLISH_RESPONSES,
    Answer,
    add_contract_schemas,
    add_security,
    request_body_spec,
)
from ingest.http.routes import EVENT_PATH, VALIDATE_PATH, IngestHandlers
from ingest.http.shortcut import IngestShortcut
from ingest.kafka.publisher import KafkaOptions, KafkaPublisher, Publisher
from ingest.metrics import Metrics
from ingest.settings import Settings
from validators import EnvelopeValidator
from validators.limits import DocumentLimits
from validators.times import TimeBounds

logger = logging.getLogger(__name__)

TAG = "Caliper Events"


class FrontDoorApp(FastAPI):
    """FastAPI with the ingest shortcut outermost (ingest.http.shortcut), through
    Starlette's public `build_middleware_stack` hook."""

    handlers: IngestHandlers

    def build_middleware_stack(self) -> ASGIApp:
        # Around FastAPI's error and exception middleware too: those layers cost about
        # a tenth of a 1-event request. Everything else still goes through FastAPI.
        return IngestShortcut(super().build_middleware_stack(), handlers=self.handlers)


def create_app(
    *,
    settings: Settings,
    kafka: KafkaOptions | None = None,
    publisher: Publisher | None = None,
    registry: CollectorRegistry | None = None,
    authenticator: Authenticator | None = None,
    token_url: str | None = None,
    known_clients: Iterable[str] = (),
) -> FrontDoorApp:
    """Build the front door. The publisher is started and stopped by the app's lifespan.

    The publisher is `publisher`, else a Kafka publisher on the `kafka` connection
    options. With `settings.auth_enabled`, tokens are checked by `authenticator`, else
    by one built from the `auth_*` settings (ingest.auth.factory); `token_url` is what
    /openapi.json names (default from the settings). `known_clients` are client ids
    used as metric labels beside `auth_known_clients`.
    """
    if publisher is None and kafka is None:
        raise ValueError("create_app needs a publisher or Kafka connection options")
    the_publisher: Publisher = (
        publisher if publisher is not None else KafkaPublisher(settings, kafka or {})
    )
    the_authenticator = (
        (authenticator or authenticator_for(settings)) if settings.auth_enabled else None
    )
    known = settings.known_clients() | frozenset(known_clients)
    metrics = Metrics(registry if registry is not None else CollectorRegistry(), known)
    metrics.pending.set_function(lambda: the_publisher.pending_records)
    metrics.pending_limit.set(settings.max_pending_records)
    the_validator = EnvelopeValidator(
        max_events=settings.max_events,
        max_errors=settings.max_errors,
        engine=settings.validation_engine,
        time_bounds=TimeBounds(settings.earliest_event_time, settings.max_future_skew_s),
        limits=DocumentLimits(
            max_depth=settings.max_depth, max_string_chars=settings.max_string_chars
        ),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if the_authenticator is None:
            logger.warning("authentication is OFF (CALIPER_AUTH_ENABLED=false): anyone may post")
        else:
            # Fetch the keys before traffic; on failure requests retry (rate-limited).
            await the_authenticator.keys.refresh()
        # Compile every schema before traffic (seconds for the generic Caliper types,
        # once per process): compiled on first use instead, one request would stall the
        # event loop for everyone.
        the_validator.warm_up()
        connecting = None
        if not await start_publisher(the_publisher, quiet=False):
            # Serve anyway (/readyz answers 503, posts 503 + Retry-After) rather than
            # exit and crash-loop while the broker is down; connect in the background.
            connecting = asyncio.create_task(connect_until_started(the_publisher))
        try:
            yield
        finally:
            if connecting is not None:
                connecting.cancel()
                await asyncio.gather(connecting, return_exceptions=True)
            # Uvicorn runs this after in-flight requests finished: flush, then close.
            await the_publisher.stop()
            logger.info("publisher stopped")

    app = FrontDoorApp(
        title="Caliper pipeline front door",
        version="0.1.0",
        description="Timeback Events API: validates Caliper envelopes and publishes "
        "each event to Kafka; 200 only after the broker acknowledged every event.",
        lifespan=lifespan,
        # Prometheus (/metrics) is our telemetry; FastAPI's OpenTelemetry hooks would
        # cost a provider lookup on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        # Served from the package by add_docs_pages, not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.handlers = handlers = IngestHandlers(
        settings=settings,
        validator=the_validator,
        publisher=the_publisher,
        metrics=metrics,
        authenticator=the_authenticator,
        limiter=RateLimiter(
            requests_per_s=settings.rate_limit_requests_per_s,
            events_per_s=settings.rate_limit_events_per_s,
            burst_s=settings.rate_limit_burst_s,
        ),
    )
    app.add_api_route(
        EVENT_PATH,
        handlers.event,
        methods=["POST"],
        tags=[TAG],
        summary="Create Caliper Events",
        description="Validate the whole envelope; publish every event to Kafka and answer "
        "200 once all are acknowledged, or 400 with every problem and publish nothing.",
        response_model=Answer,
        responses=PUBLISH_RESPONSES,
        openapi_extra=request_body_spec(),
    )
    app.add_api_route(
        VALIDATE_PATH,
        handlers.validate,
        methods=["POST"],
        tags=[TAG],
        summary="Validate Caliper Events",
        description="Same validation and answers as /caliper/event; publishes nothing.",
        response_model=Answer,
        responses=INGEST_RESPONSES,
        openapi_extra=request_body_spec(),
    )
    _add_probes(app, the_publisher, metrics, the_authenticator)
    add_docs_pages(app, FRONT_DOOR_LINKS)
    install_error_handlers(app)
    openapi_token_url = token_url or token_url_for(settings)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            document = add_contract_schemas(document)
            if the_authenticator is not None:
                document = add_security(document, openapi_token_url, [EVENT_PATH, VALIDATE_PATH])
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


# Backoff between connection attempts while the broker is unreachable at start.
CONNECT_RETRY_MIN_S: Final = 0.5
CONNECT_RETRY_MAX_S: Final = 10.0


async def start_publisher(publisher: Publisher, *, quiet: bool) -> bool:
    try:
        await publisher.start()
    except (KafkaError, OSError, PublishError, TimeoutError) as exc:
        log = logger.debug if quiet else logger.warning
        log(
            "broker not reachable (%s: %s): serving, /readyz answers 503 until it is",
            type(exc).__name__,
            exc,
        )
        return False
    logger.info("publisher started")
    return True


async def connect_until_started(publisher: Publisher) -> None:
    delay = CONNECT_RETRY_MIN_S
    while not await start_publisher(publisher, quiet=True):
        await asyncio.sleep(delay)
        delay = min(delay * 2, CONNECT_RETRY_MAX_S)


FRONT_DOOR_LINKS: Final = {
    "events": EVENT_PATH,
    "validate": VALIDATE_PATH,
    "docs": "/docs",
    "openapi": "/openapi.json",
    "health": "/healthz",
    "ready": "/readyz",
    "metrics": "/metrics",
}


def _add_probes(
    app: FastAPI, publisher: Publisher, metrics: Metrics, authenticator: Authenticator | None
) -> None:
    @app.get("/healthz", response_model=Answer, tags=["Operations"])
    async def healthz() -> Response:
        """The process is alive (says nothing about the broker)."""
        return json_response(200, body("success", "alive"))

    @app.get(
        "/readyz",
        response_model=Answer,
        tags=["Operations"],
        responses={503: {"description": "Broker unreachable, topics or issuer keys missing"}},
    )
    async def readyz() -> Response:
        """Ready while the broker answers, both topics exist and (with auth) the issuer's
        keys are known. With auth off the answer says so."""
        problem = None
        if not await publisher.ready():
            problem = "broker not ready"
        elif authenticator is not None and not authenticator.keys.has_keys:
            await authenticator.keys.refresh()
            if not authenticator.keys.has_keys:
                problem = "token issuer keys unavailable"
        if problem is not None:
            entry = {"index": None, "path": "$", "code": "not_ready", "message": problem}
            return json_response(503, body("error", "not ready", [entry]))
        if authenticator is None:
            return json_response(200, body("success", "ready; WARNING: authentication is off"))
        return json_response(200, body("success", "ready"))

    @app.get("/metrics", tags=["Operations"], response_class=Response)
    async def metrics_endpoint() -> Response:
        """Prometheus text exposition."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
