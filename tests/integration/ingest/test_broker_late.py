"""The front door starts without a broker, answers /readyz 503, and turns ready once the
broker comes up (no crash loop in Kubernetes: the startup probe waits on /healthz)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest

from caliper_pipeline.dev.broker import EmbeddedBroker, port_or_free
from tests.integration.conftest import start_front_door, stop_front_door, unique_settings

pytestmark = pytest.mark.integration


async def test_starts_without_a_broker_and_turns_ready_when_it_comes(
    seed_envelope: dict[str, Any],
) -> None:
    envelope = seed_envelope
    envelope["data"][0]["id"] = f"urn:uuid:{uuid.uuid4()}"
    port = port_or_free("127.0.0.1", 0)  # nothing listens there yet
    settings = unique_settings(kafka_request_timeout_ms=1000, publish_timeout_s=2.0)
    door, task = await start_front_door(settings, f"127.0.0.1:{port}")
    try:
        async with httpx.AsyncClient(base_url=door.url, timeout=10) as client:
            assert (await client.get("/healthz")).status_code == 200
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["errors"][0]["message"] == "broker not ready"
            early = await client.post("/caliper/event", json=envelope)
            assert early.status_code == 503
            assert early.headers["retry-after"] == str(settings.retry_after_s)
            async with EmbeddedBroker(host="127.0.0.1", port=port):
                deadline = time.monotonic() + 30
                while (await client.get("/readyz")).status_code != 200:
                    assert time.monotonic() < deadline, "never turned ready"
                    await asyncio.sleep(0.25)
                answer = await client.post("/caliper/event", json=envelope)
                assert answer.status_code == 200, answer.text
    finally:
        await stop_front_door(door, task)
