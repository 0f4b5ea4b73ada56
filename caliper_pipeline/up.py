"""`caliper-pipeline up`: the whole pipeline in one process on 127.0.0.1.

The embedded broker, the front door (with the local issuer), the facts aggregator
(SQLite under `data_dir`), the development OneRoster server and the results writer,
sharing one event loop and one metrics registry (so the front door's /metrics shows
every stage). Ctrl-C drains in start order (caliper_pipeline.runtime): the front door
finishes in-flight requests, then the consumers finish and commit their batch, then
the OneRoster server and the broker stop.
"""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from caliper_pipeline.banner import print_banner
from caliper_pipeline.dev.broker import EmbeddedBroker, port_or_free
from caliper_pipeline.dev.issuer import LocalIssuer
from caliper_pipeline.dev.issuer_routes import create_app_with_issuer
from caliper_pipeline.dev.oneroster import DevServer
from caliper_pipeline.dev.settings import DevSettings
from caliper_pipeline.kafka import KafkaSettings
from caliper_pipeline.runtime import Build, Plan, Service
from consumers.aggregator.service import aggregator_service
from consumers.aggregator.settings import AggregatorSettings
from consumers.oneroster.metrics import WriterMetrics
from consumers.oneroster.service import writer_service
from consumers.oneroster.settings import WriterSettings
from ingest.http.server import FrontDoorServer, bind
from ingest.settings import Settings

UP_HOST: Final = "127.0.0.1"


@dataclass(frozen=True)
class UpConfig:
    """Every setting `up` uses, read from the environment once, at start."""

    door: Settings
    dev: DevSettings
    aggregator: AggregatorSettings
    writer: WriterSettings

    @classmethod
    def from_environment(cls, door: Settings) -> UpConfig:
        return cls(
            door=door.model_copy(update={"host": UP_HOST}),
            dev=DevSettings(),
            aggregator=AggregatorSettings(),
            writer=WriterSettings(),
        )

    @property
    def store_path(self) -> Path:
        return self.dev.data_dir.resolve() / "aggregator.sqlite3"

    def aggregator_on(self) -> AggregatorSettings:
        """The aggregator's settings as set; SQLite under `data_dir` unless a store is
        configured. Each start names a new broker run: the embedded broker forgets its
        log on restart, so offsets stored for the last one are void."""
        overrides: dict[str, Any] = {"broker_run_id": f"up-{uuid.uuid4()}"}
        if "store_url" not in self.aggregator.model_fields_set:
            # store_path is absolute: sqlite:// + /abs/path is the documented absolute form.
            overrides["store_url"] = f"sqlite://{self.store_path}"
        return _with(self.aggregator, overrides)

    def writer_on(self, dev_server: DevServer | None) -> WriterSettings:
        """The writer's settings as set; pointed at the development server when unset."""
        if dev_server is None:
            return self.writer
        return _with(
            self.writer,
            {
                "base_url": dev_server.url,
                "token_url": dev_server.token_url,
                "client_id": dev_server.app.client_id,
                "client_secret": dev_server.app.client_secret,
            },
        )


_S = TypeVar("_S", AggregatorSettings, WriterSettings)


def _with(settings: _S, overrides: dict[str, Any]) -> _S:
    # Through the model, not model_copy, so SecretStr fields are validated again; init
    # values win over the environment, which is not read for them.
    values = {**_plain(settings.model_dump()), **overrides}
    return type(settings)(**values)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.get_secret_value() if isinstance(v, SecretStr) else v for k, v in values.items()}


def plan_up(config: UpConfig) -> Build:
    """The `build` callable of `caliper_pipeline.runtime.run` for the whole pipeline."""

    async def build(stack: AsyncExitStack) -> Plan:
        door = config.door
        issuer = (
            LocalIssuer.from_settings(config.dev, audience=door.auth_audience)
            if door.auth_enabled
            else None
        )
        config.dev.data_dir.mkdir(parents=True, exist_ok=True)
        registry = CollectorRegistry()
        broker = await stack.enter_async_context(
            EmbeddedBroker(host=UP_HOST, port=config.dev.kafka_port)
        )
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers).client_options()
        dev_server: DevServer | None = None
        if not config.writer.configured:
            dev_port = port_or_free(UP_HOST, config.dev.oneroster_dev_port)
            dev_server = await stack.enter_async_context(DevServer(host=UP_HOST, port=dev_port))
        writer = config.writer_on(dev_server)
        app = create_app_with_issuer(settings=door, issuer=issuer, kafka=kafka, registry=registry)
        front_door = FrontDoorServer(app, door, bind(UP_HOST, door.port, fallback=True))
        services: list[Service] = [
            front_door,
            aggregator_service(config.aggregator_on(), kafka=kafka, registry=registry),
            writer_service(writer, kafka=kafka, metrics=WriterMetrics(registry)),
        ]

        def ready() -> None:
            print_banner(
                url=front_door.url,
                bootstrap=broker.bootstrap_servers,
                oneroster=writer.base_url or "",
                store=config.store_path,
                issuer=issuer,
            )

        return Plan(services, on_ready=ready)

    return build
