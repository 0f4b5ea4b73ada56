"""The whole pipeline for the results writer: front door -> Kafka -> writer -> dev OneRoster.

The broker and front door come from tests/integration/conftest.py; here: the dev
OneRoster server on a free port, writer settings with unique topics and group ids,
and a writer running in the test's event loop.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from caliper_pipeline.dev.oneroster import DEV_CLIENT_ID, DEV_CLIENT_SECRET, DevServer
from consumers.oneroster.metrics import WriterMetrics
from consumers.oneroster.settings import WriterSettings
from consumers.oneroster.worker import ResultsWriter
from tests.integration.conftest import kafka_options

ROSTER = "https://api.alpha-1edtech.ai/ims/oneroster/rostering/v1p2"
GRADEBOOK = "/ims/oneroster/gradebook/v1p2"


@pytest.fixture
async def oneroster() -> AsyncIterator[DevServer]:
    async with DevServer(port=0) as server:
        yield server


def writer_settings(events_topic: str, server: DevServer, **overrides: Any) -> WriterSettings:
    prefix = uuid.uuid4().hex[:10]
    values: dict[str, Any] = {
        "events_topic": events_topic,
        "dlq_topic": f"{events_topic}.{prefix}.dlq",
        "dlq_partitions": 2,
        "group_id": f"writer-{prefix}",
        "base_url": server.url,
        "token_url": server.token_url,
        "client_id": DEV_CLIENT_ID,
        "client_secret": DEV_CLIENT_SECRET,
        "session_timeout_ms": 3000,
        "heartbeat_interval_ms": 1000,
        "poll_timeout_ms": 200,
        "retry_backoff_s": 0.05,
        "retry_backoff_max_s": 0.2,
        "retry_max": 6,
        "request_timeout_s": 2.0,
        "concurrency": 4,
        "shutdown_timeout_s": 5.0,
        "dlq_size_refresh_s": 0.2,
    }
    values.update(overrides)
    return WriterSettings(**values)


@asynccontextmanager
async def running_writer(
    settings: WriterSettings, bootstrap: str, metrics: WriterMetrics | None = None
) -> AsyncIterator[WriterMetrics]:
    metrics = metrics or WriterMetrics(CollectorRegistry())
    stop = asyncio.Event()
    async with ResultsWriter(
        settings=settings, kafka=kafka_options(bootstrap), metrics=metrics
    ) as writer:
        task = asyncio.create_task(writer.run(stop))
        try:
            yield metrics
        finally:
            stop.set()
            await asyncio.wait_for(task, settings.shutdown_timeout_s + 5)


def activity(
    student: str,
    activity_id: str,
    *,
    attempt: int | None = None,
    total: int | None = 10,
    correct: int | None = 8,
    xp: float = 20,
    process: bool = True,
    name: str | None = "Quiz",
) -> dict[str, Any]:
    items: list[dict[str, Any]] = [{"type": "xpEarned", "value": xp}]
    if total is not None:
        items.append({"type": "totalQuestions", "value": total})
    if correct is not None:
        items.append({"type": "correctQuestions", "value": correct})
    generated: dict[str, Any] = {
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": "TimebackActivityMetricsCollection",
        "items": items,
    }
    if attempt is not None:
        generated["attempt"] = attempt
    obj: dict[str, Any] = {
        "id": activity_id,
        "type": "TimebackActivityContext",
        "subject": "Math",
        "app": {"name": "Test App"},
        "course": {"id": f"{ROSTER}/courses/course-1", "name": "Math G3"},
        "process": process,
    }
    if name is not None:
        obj["activity"] = {"name": name}
    return {
        "id": f"urn:uuid:{uuid.uuid4()}",
        "eventTime": "2026-02-10T15:04:05.000Z",
        "profile": "TimebackProfile",
        "type": "ActivityEvent",
        "action": "Completed",
        "actor": {"id": f"{ROSTER}/users/{student}", "type": "TimebackUser", "email": "s@x.org"},
        "object": obj,
        "generated": generated,
    }


async def post_events(url: str, events: list[dict[str, Any]]) -> None:
    envelope = {
        "sensor": "https://app.example.com",
        "sendTime": "2026-02-10T15:04:06.000Z",
        "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
        "data": events,
    }
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{url}/caliper/event", json=envelope)
    assert answer.status_code == 200, answer.text


async def eventually(
    check: Callable[[], Awaitable[bool] | bool], *, timeout_s: float = 20.0, what: str = ""
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        outcome = check()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.05)


def sample(metrics: WriterMetrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0
