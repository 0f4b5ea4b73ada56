"""The aggregator's /healthz and /readyz, answered by its event loop, against the real
broker: ready and live when it works; 503 when the store hangs it; no answer at all
when the loop itself hangs (while prometheus_client's /metrics thread still answers)."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from prometheus_client import CollectorRegistry, start_http_server

from caliper_pipeline.runtime import Plan, supervise
from consumers.aggregator.metrics import AggregatorMetrics
from consumers.aggregator.service import aggregator_service
from consumers.aggregator.settings import AggregatorSettings
from consumers.aggregator.sqlite_store import SqliteStore
from consumers.aggregator.worker import Aggregator
from consumers.health.server import HealthServer
from consumers.health.service import WithHealth
from tests.integration.conftest import kafka_options
from tests.integration.consumers.aggregator.conftest import StoreConfig, aggregator_settings
from tests.integration.consumers.aggregator.stream import produce, timeback_event, wait_caught_up
from tests.integration.consumers.probes import status, wait_status

pytestmark = pytest.mark.integration

T = TypeVar("T")


def sqlite_config(tmp_path: Path) -> StoreConfig:
    return StoreConfig("sqlite", f"sqlite://{tmp_path}/aggregator.sqlite3", "aggregator")


def events(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [timeback_event(n, rng, students=8) for n in range(count)]


async def run_service(
    service: Aggregator | WithHealth, settings: AggregatorSettings
) -> tuple[asyncio.Event, asyncio.Task[int]]:
    stop = asyncio.Event()
    task = asyncio.create_task(
        supervise(Plan([service]), stop, asyncio.Event(), settings.shutdown_timeout_s)
    )
    return stop, task


async def health_url(service: WithHealth) -> str:
    for _ in range(100):
        if service.health.listening:
            return f"http://127.0.0.1:{service.health.port}"
        await asyncio.sleep(0.05)
    raise AssertionError("the health server never started")


async def assigned(service: WithHealth, timeout_s: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if service.progress.partitions:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no partitions assigned")


async def test_a_real_aggregator_is_ready_and_live(tmp_path: Path, bootstrap_servers: str) -> None:
    settings = aggregator_settings(sqlite_config(tmp_path), health_port=0)
    service = aggregator_service(
        settings, kafka=kafka_options(bootstrap_servers), registry=CollectorRegistry()
    )
    assert isinstance(service, WithHealth)
    stop, task = await run_service(service, settings)
    try:
        url = await health_url(service)
        assert await wait_status(url, "/readyz", 200) == (200, "ready\n")
        await produce(bootstrap_servers, settings.events_topic, events(300, 1))
        watcher = SqliteStore(f"{tmp_path}/aggregator.sqlite3")
        async with watcher:
            await wait_caught_up(watcher, settings.events_topic, 300)
        assert await status(url, "/healthz") == (200, "ok\n")
        assert service.progress.partitions == {0, 1, 2, 3}
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 15) == 0
    with pytest.raises(httpx.ConnectError):  # closed with the service
        await status(url, "/healthz")


async def test_not_ready_before_the_consumer_starts(tmp_path: Path, bootstrap_servers: str) -> None:
    settings = aggregator_settings(sqlite_config(tmp_path))
    aggregator = Aggregator(
        settings,
        kafka=kafka_options(bootstrap_servers),
        store=SqliteStore(f"{tmp_path}/aggregator.sqlite3"),
        metrics=AggregatorMetrics(CollectorRegistry()),
    )
    health = HealthServer(aggregator, host="127.0.0.1", port=0)
    await health.start()
    try:
        url = f"http://127.0.0.1:{health.port}"
        assert await status(url, "/readyz") == (503, "not ready: consumer not started\n")
        assert (await status(url, "/healthz"))[0] == 200  # starting is not stalling
        async with aggregator:
            assert await status(url, "/readyz") == (200, "ready\n")
        assert (await status(url, "/readyz"))[0] == 503
    finally:
        await health.stop()


async def test_a_hanging_store_turns_liveness_and_readiness_503(
    tmp_path: Path, bootstrap_servers: str
) -> None:
    """Another connection holds SQLite's write lock: the batch waits in the store, the
    loop makes no progress, and /healthz fails after STALL_TIMEOUT_S; released, it
    recovers and every event is counted."""
    settings = aggregator_settings(sqlite_config(tmp_path), health_port=0, stall_timeout_s=1.0)
    service = aggregator_service(
        settings, kafka=kafka_options(bootstrap_servers), registry=CollectorRegistry()
    )
    assert isinstance(service, WithHealth)
    stop, task = await run_service(service, settings)
    locker: sqlite3.Connection | None = None
    try:
        url = await health_url(service)
        await wait_status(url, "/readyz", 200)
        await assigned(service)
        locker = sqlite3.connect(f"{tmp_path}/aggregator.sqlite3", isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        await produce(bootstrap_servers, settings.events_topic, events(200, 2))
        code, body = await wait_status(url, "/healthz", 503, timeout_s=8)
        assert body.startswith("stalled: no progress for ")
        assert time.monotonic() - started > settings.stall_timeout_s
        code, body = await status(url, "/readyz", timeout_s=5)
        assert code == 503, body
        locker.execute("ROLLBACK")
        await wait_status(url, "/healthz", 200, timeout_s=15)
        watcher = SqliteStore(f"{tmp_path}/aggregator.sqlite3")
        async with watcher:
            await wait_caught_up(watcher, settings.events_topic, 200)
        assert (await status(url, "/readyz"))[0] == 200
    finally:
        if locker is not None:
            locker.close()
        stop.set()
        assert await asyncio.wait_for(task, 20) == 0


class HangingStore(SqliteStore):
    """The bug behind a hung loop: a synchronous call inside async code. Armed, the next
    store call blocks the event loop itself for `hang_s`."""

    def __init__(self, path: str, hang_s: float) -> None:
        super().__init__(path)
        self.hang_s = hang_s
        self.armed = False
        self.hanging = threading.Event()

    async def call(self, work: Callable[..., T], *args: Any) -> T:
        if self.armed:
            self.armed = False
            self.hanging.set()
            time.sleep(self.hang_s)  # noqa: ASYNC251 - blocks the event loop, on purpose
        return await super().call(work, *args)


def probe_while_hung(store: HangingStore, health: str, metrics: str) -> tuple[object, int]:
    """In a thread (the test's loop is the hung one): what a kubelet with a 1 s probe
    timeout sees, and what a /metrics probe sees."""
    assert store.hanging.wait(30), "the loop never reached the store"
    time.sleep(0.2)
    try:
        live: object = httpx.get(f"{health}/healthz", timeout=1.0).status_code
    except httpx.TimeoutException as exc:
        live = exc
    return live, httpx.get(f"{metrics}/metrics", timeout=1.0).status_code


async def test_a_hung_event_loop_answers_no_probe(tmp_path: Path, bootstrap_servers: str) -> None:
    # Group timeouts above the hang, so the member is not expelled meanwhile.
    settings = aggregator_settings(
        sqlite_config(tmp_path), session_timeout_ms=6000, stall_timeout_s=30.0
    )
    registry = CollectorRegistry()
    store = HangingStore(f"{tmp_path}/aggregator.sqlite3", hang_s=3.0)
    aggregator = Aggregator(
        settings,
        kafka=kafka_options(bootstrap_servers),
        store=store,
        metrics=AggregatorMetrics(registry),
    )
    service = WithHealth(aggregator, port=0, host="127.0.0.1")
    metrics_server, metrics_thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    metrics_url = f"http://127.0.0.1:{metrics_server.server_port}"
    stop, task = await run_service(service, settings)
    try:
        url = await health_url(service)
        await wait_status(url, "/readyz", 200)
        await assigned(service)
        store.armed = True
        probing = asyncio.create_task(asyncio.to_thread(probe_while_hung, store, url, metrics_url))
        await produce(bootstrap_servers, settings.events_topic, events(100, 3))
        live, metrics = await asyncio.wait_for(probing, 30)
        assert isinstance(live, httpx.TimeoutException), f"a hung loop answered {live}"
        assert metrics == 200  # why /metrics is no liveness probe
        # The loop is back: it answers again and the batch went through.
        assert await status(url, "/healthz") == (200, "ok\n")
        await wait_caught_up(store, settings.events_topic, 100)
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 20) == 0
        metrics_server.shutdown()
        metrics_server.server_close()
        metrics_thread.join(5)
