"""The app factory: everything the front door needs is passed in, nothing is global."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.responses import Response

from ingest.errors import body, json_response
from ingest.http_errors import install_error_handlers
from ingest.metrics import Metrics
from ingest.openapi import (
    INGEST_RESPONSES,
    PUBLISH_RESPONSES,
    Answer,
    add_contract_schemas,
    request_body_spec,
)
from ingest.publisher import KafkaPublisher, Publisher
from ingest.routes import EVENT_PATH, VALIDATE_PATH, IngestHandlers
from ingest.settings import Settings
from ingest.shortcut import IngestShortcut
from validators import EnvelopeValidator

logger = logging.getLogger(__name__)

TAG = "Caliper Events"


def create_app(
    *,
    settings: Settings,
    publisher: Publisher | None = None,
    registry: CollectorRegistry | None = None,
    validator: EnvelopeValidator | None = None,
) -> FastAPI:
    """Build the front door. The publisher is started and stopped by the app's lifespan."""
    the_publisher: Publisher = publisher if publisher is not None else KafkaPublisher(settings)
    metrics = Metrics(registry if registry is not None else CollectorRegistry())
    metrics.pending.set_function(lambda: the_publisher.pending_records)
    the_validator = validator or EnvelopeValidator(
        max_events=settings.max_events, max_errors=settings.max_errors
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await the_publisher.start()
        logger.info("publisher started")
        try:
            yield
        finally:
            # Uvicorn runs this after in-flight requests finished: flush, then close.
            await the_publisher.stop()
            logger.info("publisher stopped")

    app = FastAPI(
        title="Caliper pipeline front door",
        version="0.1.0",
        description="Timeback Events API: validates Caliper envelopes and publishes "
        "each event to Kafka; 200 only after the broker acknowledged every event.",
        lifespan=lifespan,
        # Prometheus (/metrics) is our telemetry; FastAPI's OpenTelemetry hooks would
        # cost a provider lookup on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    handlers = IngestHandlers(
        settings=settings, validator=the_validator, publisher=the_publisher, metrics=metrics
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
    app.add_middleware(IngestShortcut, handlers=handlers)
    _add_probes(app, the_publisher, metrics)
    install_error_handlers(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = add_contract_schemas(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _add_probes(app: FastAPI, publisher: Publisher, metrics: Metrics) -> None:
    @app.get("/healthz", response_model=Answer, tags=["Operations"])
    async def healthz() -> Response:
        """The process is alive (says nothing about the broker)."""
        return json_response(200, body("success", "alive"))

    @app.get(
        "/readyz",
        response_model=Answer,
        tags=["Operations"],
        responses={503: {"description": "Broker unreachable or topics missing"}},
    )
    async def readyz() -> Response:
        """Ready only while the broker answers and both topics exist."""
        if await publisher.ready():
            return json_response(200, body("success", "ready"))
        entry = {"index": None, "path": "$", "code": "not_ready", "message": "broker not ready"}
        return json_response(503, body("error", "not ready", [entry]))

    @app.get("/metrics", tags=["Operations"], response_class=Response)
    async def metrics_endpoint() -> Response:
        """Prometheus text exposition."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
