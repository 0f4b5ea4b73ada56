"""The analytics service under uvicorn on a free 127.0.0.1 port, over a given store."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from consumers.analytics.app import create_app
from consumers.analytics.auth import Authorize
from consumers.analytics.reader_factory import open_reader
from consumers.analytics.server import AnalyticsServer
from consumers.analytics.settings import AnalyticsSettings

# The same test on both stores: the aggregator tests' parametrized fixture.
from tests.integration.consumers.aggregator.conftest import store_config

__all__ = ["analytics_server", "store_config"]


@asynccontextmanager
async def analytics_server(
    store_url: str,
    *,
    schema: str = "aggregator",
    authorize: Authorize | None = None,
    **overrides: Any,
) -> AsyncIterator[tuple[str, CollectorRegistry]]:
    """(base URL, metrics registry) of a running service."""
    settings = AnalyticsSettings(store_url=SecretStr(store_url), store_schema=schema, **overrides)
    reader = open_reader(store_url, schema=schema, timeout_s=settings.query_timeout_s)
    registry = CollectorRegistry()
    app = create_app(reader=reader, settings=settings, authorize=authorize, registry=registry)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = AnalyticsServer(app, sock, shutdown_timeout_s=2.0)
    await server.start()
    try:
        yield server.url, registry
    finally:
        await server.stop()
