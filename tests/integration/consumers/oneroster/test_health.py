"""The writer's /healthz and /readyz, from its event loop, against the real broker and
the development OneRoster server: live and ready; 503 while one write hangs longer than
STALL_TIMEOUT_S; never ready without OneRoster."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import CollectorRegistry

from caliper_pipeline.dev.oneroster import DevServer
from caliper_pipeline.runtime import Plan, supervise
from consumers.health.service import WithHealth
from consumers.oneroster.metrics import WriterMetrics
from consumers.oneroster.service import IdleWriter, writer_service
from consumers.oneroster.settings import WriterSettings
from tests.integration.conftest import FrontDoor, kafka_options
from tests.integration.consumers.oneroster.conftest import (
    ROSTER,
    activity,
    eventually,
    post_events,
    sample,
    writer_settings,
)
from tests.integration.consumers.oneroster.test_faults import add_fault
from tests.integration.consumers.probes import status, wait_status

pytestmark = pytest.mark.integration


async def served(settings: WriterSettings, bootstrap: str) -> tuple[WithHealth, WriterMetrics]:
    metrics = WriterMetrics(CollectorRegistry())
    service = writer_service(settings, kafka=kafka_options(bootstrap), metrics=metrics)
    assert isinstance(service, WithHealth)
    return service, metrics


async def test_live_ready_then_stalled_by_a_hanging_write_then_live_again(
    bootstrap_servers: str, front_door: FrontDoor, oneroster: DevServer
) -> None:
    settings = writer_settings(
        front_door.settings.events_topic,
        oneroster,
        health_port=0,
        stall_timeout_s=1.0,
        request_timeout_s=10.0,
    )
    service, metrics = await served(settings, bootstrap_servers)
    stop = asyncio.Event()
    task = asyncio.create_task(supervise(Plan([service]), stop, asyncio.Event(), 5.0))
    try:
        await eventually(lambda: service.progress.partitions == {0, 1, 2, 3}, what="assigned")
        url = f"http://127.0.0.1:{service.health.port}"
        assert await status(url, "/readyz") == (200, "ready\n")
        assert await status(url, "/healthz") == (200, "ok\n")
        # One PUT answers after 4 s: no record finishes and no poll returns meanwhile.
        await add_fault(oneroster, kind="latency", seconds=4, count=1)
        await post_events(front_door.url, [activity("stu-1", f"{ROSTER}/courses/x")])
        _, body = await wait_status(url, "/healthz", 503, timeout_s=10)
        assert body.startswith("stalled: no progress for "), body
        await eventually(lambda: sample(metrics, "caliper_oneroster_results_written_total") == 1)
        assert await wait_status(url, "/healthz", 200) == (200, "ok\n")
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 15) == 0


async def test_without_oneroster_alive_but_never_ready() -> None:
    settings = WriterSettings(health_port=0)
    service = writer_service(settings, kafka={}, metrics=WriterMetrics(CollectorRegistry()))
    assert isinstance(service, WithHealth)
    assert isinstance(service.service, IdleWriter)
    stop = asyncio.Event()
    task = asyncio.create_task(supervise(Plan([service]), stop, asyncio.Event(), 5.0))
    try:
        await eventually(lambda: service.health.listening, what="listening")
        url = f"http://127.0.0.1:{service.health.port}"
        code, body = await status(url, "/readyz")
        assert (code, body.split(" (")[0]) == (503, "not ready: OneRoster not configured")
        assert await status(url, "/healthz") == (200, "ok\n")
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 10) == 0
