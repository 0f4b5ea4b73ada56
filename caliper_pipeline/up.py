"""`caliper-pipeline up`: the whole pipeline on 127.0.0.1, each part its own process.

This process keeps the embedded broker (a binary of its own) and the development
OneRoster server, and runs the front door (with the local issuer), the facts aggregator
(SQLite under `data_dir`), the results writer and the analytics service as child processes
(caliper_pipeline.child), as production runs them: on two or more cores the front door
has one to itself. Each child starts once the one before it is ready (the front door
first: it creates the topics); the banner is printed once all are.

Ctrl-C or SIGTERM drains in start order (caliper_pipeline.runtime): the front door
finishes its in-flight requests, then the aggregator and the writer finish and commit
their batch, then the OneRoster server and the broker stop. A child still running
`KILL_GRACE_S` after its own shutdown timeout is killed (exit 130); a second Ctrl-C
kills the children left at once (exit 130). A child that exits on its own is not
restarted: it is reported by name (`aggregator exited on its own (killed by SIGKILL)`),
the others are drained and stopped, and `up` exits 1.

Metrics: the consumers run in prometheus_client's multiprocess mode and the front
door's /metrics shows them beside its own (caliper_pipeline.child_metrics), so one URL
shows every stage, as the banner says.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pydantic_settings import BaseSettings

from caliper_pipeline.banner import print_banner
from caliper_pipeline.child import ChildProcess, ChildSpec
from caliper_pipeline.child_metrics import MULTIPROC_ENV
from caliper_pipeline.commands import aggregate, analytics, facts, results, serve
from caliper_pipeline.dev.broker import EmbeddedBroker, port_or_free
from caliper_pipeline.dev.issuer import LocalIssuer
from caliper_pipeline.dev.oneroster import DevServer
from caliper_pipeline.dev.settings import DevSettings
from caliper_pipeline.kafka import KAFKA_SEGMENT, KafkaSettings
from caliper_pipeline.runtime import Build, Plan
from caliper_pipeline.up_state import UpState, write_state
from consumers.aggregator import settings as aggregator_settings
from consumers.aggregator.settings import AggregatorSettings
from consumers.analytics import settings as analytics_settings
from consumers.analytics.settings import AnalyticsSettings
from consumers.oneroster import settings as writer_settings
from consumers.oneroster.settings import WriterSettings
from ingest import settings as door_settings
from ingest.settings import Settings

UP_HOST: Final = "127.0.0.1"
# Time a child gets past its own shutdown timeout (after which it cancels its work and
# exits 130 by itself) before it is killed.
KILL_GRACE_S: Final = 5.0
FRONT_DOOR: Final = "front door"
AGGREGATOR: Final = "aggregator"
WRITER: Final = "results writer"
ANALYTICS: Final = "analytics"
_DOOR: Final = door_settings.ENV_PREFIX
_AGGREGATOR: Final = aggregator_settings.ENV_PREFIX
_WRITER: Final = writer_settings.ENV_PREFIX
_ANALYTICS: Final = analytics_settings.ENV_PREFIX


@dataclass(frozen=True)
class UpConfig:
    """Every setting `up` uses, read from the environment once, at start; the children
    get that environment with what `up` sets on top (`*_env`)."""

    door: Settings
    dev: DevSettings
    aggregator: AggregatorSettings
    writer: WriterSettings
    analytics: AnalyticsSettings = field(default_factory=AnalyticsSettings)
    environ: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_environment(cls, door: Settings) -> UpConfig:
        return cls(
            door=door.model_copy(update={"host": UP_HOST}),
            dev=DevSettings(),
            aggregator=AggregatorSettings(),
            writer=WriterSettings(),
            analytics=AnalyticsSettings(),
            environ=dict(os.environ),
        )

    @property
    def store_path(self) -> Path:
        return self.dev.data_dir.resolve() / facts.UP_STORE_FILE

    @property
    def drain_timeout_s(self) -> float:
        """The runtime's per-service timeout: past every child's own kill deadline."""
        slowest = max(
            self.door.shutdown_timeout_s,
            self.aggregator.shutdown_timeout_s,
            self.writer.shutdown_timeout_s,
            self.analytics.shutdown_timeout_s,
        )
        return slowest + 2 * KILL_GRACE_S

    def front_door_env(self, bootstrap: str) -> dict[str, str]:
        env = self._base_env(_DOOR, bootstrap)
        env.pop(MULTIPROC_ENV, None)  # its own metrics stay in memory (the hot path)
        env |= {f"{_DOOR}HOST": self.door.host, f"{_DOOR}PORT": str(self.door.port)}
        if "kafka_linger_ms" not in self.door.model_fields_set:
            env[f"{_DOOR}KAFKA_LINGER_MS"] = str(self.dev.up_linger_ms)
        return env | self._partitions(_DOOR, self.door, "events", "rejected")

    def aggregator_env(self, bootstrap: str, metrics_dir: Path) -> dict[str, str]:
        """SQLite under `data_dir` unless a store is configured. Each start names a new
        broker run: the embedded broker forgets its log on restart, so offsets stored
        for the last one are void."""
        env = self._consumer_env(_AGGREGATOR, bootstrap, metrics_dir, self.aggregator)
        env[f"{_AGGREGATOR}BROKER_RUN_ID"] = f"up-{uuid.uuid4()}"
        env |= self._partitions(_AGGREGATOR, self.aggregator, "events", "facts", "daily")
        if "store_url" not in self.aggregator.model_fields_set:
            # store_path is absolute: sqlite:// + /abs/path is the documented absolute form.
            env[f"{_AGGREGATOR}STORE_URL"] = f"sqlite://{self.store_path}"
        return env

    def analytics_env(self) -> dict[str, str]:
        """It reads the aggregator's store: the one `up` gives the aggregator, unless its
        own store is set. Not a Kafka client, so only logs and the port are `up`'s."""
        env = {k: v for k, v in self.environ.items() if k != MULTIPROC_ENV}
        env |= {
            f"{_ANALYTICS}HOST": UP_HOST,
            f"{_ANALYTICS}LOG_LEVEL": self.door.log_level,
            f"{_ANALYTICS}LOG_FORMAT": self.door.log_format,
        }
        if "store_url" not in self.analytics.model_fields_set:
            if "store_url" in self.aggregator.model_fields_set:
                env[f"{_ANALYTICS}STORE_URL"] = self.aggregator.store_url.get_secret_value()
                env[f"{_ANALYTICS}STORE_SCHEMA"] = self.aggregator.store_schema
            else:
                env[f"{_ANALYTICS}STORE_URL"] = f"sqlite://{self.store_path}"
        return env

    def writer_env(
        self, bootstrap: str, metrics_dir: Path, dev_server: DevServer | None
    ) -> dict[str, str]:
        """The writer's settings as set; pointed at the development server when unset."""
        env = self._consumer_env(_WRITER, bootstrap, metrics_dir, self.writer)
        if dev_server is not None:
            env |= {
                f"{_WRITER}BASE_URL": dev_server.url,
                f"{_WRITER}TOKEN_URL": dev_server.token_url,
                f"{_WRITER}CLIENT_ID": dev_server.app.client_id,
                f"{_WRITER}CLIENT_SECRET": dev_server.app.client_secret,
            }
        return env

    def _partitions(self, prefix: str, settings: BaseSettings, *topics: str) -> dict[str, str]:
        """`up_partitions` for each of these topics whose partition count is not set."""
        fields = [f"{topic}_partitions" for topic in topics]
        count = str(self.dev.up_partitions)
        return {f"{prefix}{f.upper()}": count for f in fields if f not in settings.model_fields_set}

    def _consumer_env(
        self, prefix: str, bootstrap: str, metrics_dir: Path, settings: BaseSettings
    ) -> dict[str, str]:
        env = self._base_env(prefix, bootstrap)
        # One log configuration for all of `up`, the front door's, as in one process.
        env |= {
            f"{prefix}LOG_LEVEL": self.door.log_level,
            f"{prefix}LOG_FORMAT": self.door.log_format,
            MULTIPROC_ENV: str(metrics_dir),
        }
        if "idle_between_polls_ms" not in settings.model_fields_set:
            env[f"{prefix}IDLE_BETWEEN_POLLS_MS"] = str(self.dev.up_idle_between_polls_ms)
        return env

    def _base_env(self, prefix: str, bootstrap: str) -> dict[str, str]:
        """The environment without any process's Kafka connection settings (the
        children talk to the embedded broker, plainly), then this child's broker."""
        connection = {
            f"{process}{KAFKA_SEGMENT}{name.upper()}"
            for process in (_DOOR, _AGGREGATOR, _WRITER)
            for name in KafkaSettings.model_fields
        }
        env = {key: value for key, value in self.environ.items() if key not in connection}
        env[f"{prefix}{KAFKA_SEGMENT}BOOTSTRAP_SERVERS"] = bootstrap
        return env


def _python(*args: str) -> list[str]:
    return [sys.executable, "-m", *args]


def up_children(
    config: UpConfig, bootstrap: str, metrics_dir: Path, dev_server: DevServer | None
) -> list[ChildProcess]:
    """The children in start (and drain) order."""
    specs = [
        ChildSpec(
            FRONT_DOOR,
            _python("caliper_pipeline.up_front_door", "--child-metrics", str(metrics_dir)),
            config.front_door_env(bootstrap),
            ready_prefix=serve.READY_PREFIX,
            shutdown_timeout_s=config.door.shutdown_timeout_s + KILL_GRACE_S,
        ),
        ChildSpec(
            AGGREGATOR,
            _python("caliper_pipeline", "aggregate"),
            config.aggregator_env(bootstrap, metrics_dir),
            ready_prefix=aggregate.READY_LINE,
            shutdown_timeout_s=config.aggregator.shutdown_timeout_s + KILL_GRACE_S,
            nice=config.dev.consumers_nice,
        ),
        ChildSpec(
            WRITER,
            _python("caliper_pipeline", "results"),
            config.writer_env(bootstrap, metrics_dir, dev_server),
            ready_prefix=results.READY_LINE,
            shutdown_timeout_s=config.writer.shutdown_timeout_s + KILL_GRACE_S,
            nice=config.dev.consumers_nice,
        ),
        ChildSpec(
            ANALYTICS,
            # --local-issuer: trust the tokens `up`'s issuer signs (a busy port: a free one).
            _python("caliper_pipeline", "analytics", "--local-issuer"),
            config.analytics_env(),
            ready_prefix=analytics.READY_PREFIX,
            shutdown_timeout_s=config.analytics.shutdown_timeout_s + KILL_GRACE_S,
            nice=config.dev.consumers_nice,
        ),
    ]
    return [ChildProcess(spec) for spec in specs]


def plan_up(config: UpConfig) -> Build:
    """The `build` callable of `caliper_pipeline.runtime.run` for the whole pipeline."""

    async def build(stack: AsyncExitStack) -> Plan:
        door = config.door
        # Created here, before any child: the front door child loads the same key.
        issuer = (
            LocalIssuer.from_settings(config.dev, audience=door.auth_audience)
            if door.auth_enabled
            else None
        )
        config.dev.data_dir.mkdir(parents=True, exist_ok=True)
        metrics_dir = Path(tempfile.mkdtemp(prefix="caliper-up-metrics-"))
        stack.callback(shutil.rmtree, metrics_dir, ignore_errors=True)
        broker = await stack.enter_async_context(
            EmbeddedBroker(host=UP_HOST, port=config.dev.kafka_port)
        )
        dev_server: DevServer | None = None
        if not config.writer.configured:
            dev_port = port_or_free(UP_HOST, config.dev.oneroster_dev_port)
            dev_server = await stack.enter_async_context(DevServer(host=UP_HOST, port=dev_port))
        children = up_children(config, broker.bootstrap_servers, metrics_dir, dev_server)
        front_door, analytics_child = children[0], children[-1]
        oneroster = dev_server.url if dev_server is not None else config.writer.base_url

        def ready() -> None:
            write_state(config.dev.data_dir, UpState(os.getpid(), front_door.ready_value or ""))
            print_banner(
                url=front_door.ready_value or "",
                analytics=analytics_child.ready_value or "",
                bootstrap=broker.bootstrap_servers,
                oneroster=oneroster or "",
                store=config.store_path,
                issuer=issuer,
            )

        return Plan(children, on_ready=ready)

    return build
