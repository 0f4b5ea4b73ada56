"""`caliper-pipeline up`: the whole pipeline in one process on 127.0.0.1.

The one composition root that imports the consumers: the embedded broker, the front
door, the facts aggregator (SQLite under `data_dir`), the development OneRoster
server and the results writer, sharing one event loop and one metrics registry (so
the front door's /metrics shows every stage). Ctrl-C stops the front door first
(draining in-flight requests), then the consumers finish and commit their batch,
then the OneRoster server and the broker stop.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path

from prometheus_client import CollectorRegistry

from consumers.aggregator.command import serve as serve_aggregator
from consumers.aggregator.settings import AggregatorSettings
from consumers.oneroster.command import serve_writer
from consumers.oneroster.devserver import DevServer
from consumers.oneroster.metrics import WriterMetrics
from consumers.oneroster.settings import WriterSettings
from ingest.app import create_app
from ingest.broker import EmbeddedBroker, port_or_free
from ingest.issuer import LocalIssuer
from ingest.issuer_routes import TOKEN_PATH
from ingest.server import bind, make_server, serve
from ingest.settings import Settings
from ingest.try_it import curl_example

logger = logging.getLogger(__name__)

UP_HOST = "127.0.0.1"


def aggregator_settings(settings: Settings, bootstrap: str) -> AggregatorSettings:
    """`CALIPER_AGGREGATOR_*` as set, on the embedded broker; SQLite under `data_dir`
    unless a store is configured. Each start names a new broker run: the embedded
    broker forgets its log on restart, so offsets stored for the last one are void."""
    configured = AggregatorSettings()
    overrides: dict[str, object] = {
        "bootstrap_servers": bootstrap,
        "broker_run_id": f"up-{uuid.uuid4()}",
    }
    if "store_url" not in configured.model_fields_set:
        overrides["store_url"] = f"sqlite:///{store_path(settings)}"
    values = {**configured.model_dump(), **overrides}
    values["store_url"] = _secret_value(values["store_url"])
    return AggregatorSettings(**values)


def writer_settings(bootstrap: str, dev_server: DevServer | None) -> WriterSettings:
    """`CALIPER_ONEROSTER_*` as set; pointed at the development server when unset."""
    configured = WriterSettings()
    overrides: dict[str, object] = {"kafka_bootstrap_servers": bootstrap}
    if dev_server is not None:
        overrides |= {
            "base_url": dev_server.url,
            "token_url": dev_server.token_url,
            "client_id": dev_server.app.client_id,
            "client_secret": dev_server.app.client_secret,
        }
    values = {**configured.model_dump(), **overrides}
    values["client_secret"] = _secret_value(values.get("client_secret"))
    return WriterSettings(**values)


def store_path(settings: Settings) -> Path:
    return settings.data_dir.resolve() / "aggregator.sqlite3"


def _secret_value(value: object) -> object:
    get = getattr(value, "get_secret_value", None)
    return get() if callable(get) else value


async def run_pipeline(settings: Settings) -> int:
    issuer = LocalIssuer.from_settings(settings) if settings.auth_enabled else None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    registry = CollectorRegistry()
    stop = asyncio.Event()
    consumers: list[asyncio.Task[int]] = []
    async with AsyncExitStack() as stack:
        broker = await stack.enter_async_context(
            EmbeddedBroker(host=UP_HOST, port=settings.kafka_port)
        )
        bootstrap = broker.bootstrap_servers
        settings = settings.model_copy(
            update={"host": UP_HOST, "kafka_bootstrap_servers": bootstrap}
        )
        dev_server: DevServer | None = None
        if not WriterSettings().configured:
            dev_port = port_or_free(UP_HOST, settings.oneroster_dev_port)
            dev_server = await stack.enter_async_context(DevServer(host=UP_HOST, port=dev_port))
        aggregator = aggregator_settings(settings, bootstrap)
        writer = writer_settings(bootstrap, dev_server)

        sock = bind(UP_HOST, settings.port, fallback=True)
        url = f"http://{UP_HOST}:{sock.getsockname()[1]}"
        app = create_app(settings=settings, issuer=issuer, registry=registry)
        server = make_server(app, settings)

        def start_consumers() -> None:
            loop = asyncio.get_running_loop()
            consumers.append(
                loop.create_task(
                    serve_aggregator(
                        aggregator, registry=registry, stop=stop, install_signals=False
                    )
                )
            )
            consumers.append(loop.create_task(serve_writer(writer, WriterMetrics(registry), stop)))
            _print_lines(settings, url, bootstrap, dev_server, issuer)

        ok = await serve(server, sock, on_started=start_consumers)
        stop.set()
        await _stop_consumers(consumers, settings.shutdown_timeout_s)
    return 0 if ok else 1


async def _stop_consumers(tasks: list[asyncio.Task[int]], timeout_s: float) -> None:
    if not tasks:
        return
    # Each consumer finishes its batch within its own shutdown timeout; this is the
    # backstop that keeps Ctrl-C bounded whatever happens.
    done, pending = await asyncio.wait(tasks, timeout=timeout_s * 2)
    for task in pending:
        logger.warning("a consumer did not stop in time: cancelling it")
        task.cancel()
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            logger.error("a consumer failed: %r", task.exception())


def _print_lines(
    settings: Settings,
    url: str,
    bootstrap: str,
    dev_server: DevServer | None,
    issuer: LocalIssuer | None,
) -> None:
    say: Callable[[str], None] = lambda line: print(line, flush=True)  # noqa: E731
    say(f"front door: {url}")
    say(f"kafka: {bootstrap}")
    say(f"oneroster: {dev_server.url if dev_server else WriterSettings().base_url}")
    say(f"data: {store_path(settings)}")
    say(f"metrics: {url}/metrics")
    if issuer is None:
        say(f"try it: {curl_example(url)}")
        return
    client_id, secret = next(iter(issuer.clients.items()))
    say(f"token url: {url}{TOKEN_PATH}")
    say(f"client id: {client_id}")
    say(f"client secret: {secret}")
    say(f"try it: {curl_example(url, credentials=(client_id, secret))}")
