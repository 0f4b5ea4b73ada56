"""Broker failures: a 200 only for acknowledged events, a bounded 503 otherwise.

The embedded broker keeps records in memory, so what it acknowledged is checked against
records read before it dies. This test owns its broker (it kills it), so it uses the
embedded one even when KAFKA_BOOTSTRAP_SERVERS is set.
"""

from __future__ import annotations

import asyncio
import copy
import os
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from caliper_pipeline.dev.broker import EmbeddedBroker
from ingest.errors import RETRY_SAME_IDS
from tests.integration.conftest import (
    read_topic,
    start_front_door,
    stop_front_door,
    unique_settings,
)

pytestmark = pytest.mark.integration

PUBLISH_TIMEOUT_S = 2.0
# Time a request may take past the publish timeout (reading, validating, answering).
SLACK_S = 1.5


def envelope_with_new_id(template: dict[str, Any]) -> tuple[str, bytes]:
    envelope = copy.deepcopy(template)
    event_id = f"urn:uuid:{uuid.uuid4()}"
    envelope["data"][0]["id"] = event_id
    return event_id, orjson.dumps(envelope)


async def timed_post(client: httpx.AsyncClient, body: bytes) -> tuple[int, float, httpx.Response]:
    started = time.monotonic()
    answer = await client.post(
        "/caliper/event", content=body, headers={"content-type": "application/json"}
    )
    return answer.status_code, time.monotonic() - started, answer


async def test_broker_death_never_yields_200_for_unacknowledged_events(
    conformance_dir: Path,
) -> None:
    template = orjson.loads(
        (conformance_dir / "timeback-clients" / "seed-example1.json").read_bytes()
    )
    async with EmbeddedBroker(host="127.0.0.1", port=0) as broker:
        assert broker.pid is not None
        settings = unique_settings(
            publish_timeout_s=PUBLISH_TIMEOUT_S,
            kafka_request_timeout_ms=1500,
            shutdown_timeout_s=3.0,
        )
        door, server_task = await start_front_door(settings, broker.bootstrap_servers)
        try:
            async with httpx.AsyncClient(base_url=door.url, timeout=30) as client:
                # Phase 1: acknowledged posts, read back while the broker lives.
                first = [envelope_with_new_id(template) for _ in range(50)]
                answers = await asyncio.gather(*(timed_post(client, b) for _, b in first))
                assert [status for status, _, _ in answers] == [200] * 50
                records = await read_topic(
                    broker.bootstrap_servers, settings.events_topic, expect=50
                )
                stored = {orjson.loads(r.value)["event"]["id"] for r in records}
                assert {event_id for event_id, _ in first} <= stored

                # Phase 2: freeze the broker, put requests in flight, then kill it.
                os.kill(broker.pid, signal.SIGSTOP)
                second = [envelope_with_new_id(template) for _ in range(50)]
                in_flight = [asyncio.create_task(timed_post(client, b)) for _, b in second]
                await asyncio.sleep(0.3)
                broker.kill()
                results = await asyncio.gather(*in_flight)

                # Phase 3: posts to a dead broker.
                third = await asyncio.gather(
                    *(timed_post(client, envelope_with_new_id(template)[1]) for _ in range(20))
                )
                metrics = (await client.get("/metrics")).text
        finally:
            await stop_front_door(door, server_task)

    for status, elapsed, answer in [*results, *third]:
        assert status == 503, answer.text
        assert answer.headers["retry-after"] == str(settings.retry_after_s)
        assert answer.json()["errors"][0]["code"] in {"broker_unavailable", "overloaded"}
        assert elapsed < PUBLISH_TIMEOUT_S + SLACK_S
    # Events handed to the broker may be stored: the answer says how to retry, and the
    # metric counts every such envelope.
    handed_over = [
        answer
        for _, _, answer in [*results, *third]
        if answer.json()["errors"][0]["code"] == "broker_unavailable"
    ]
    assert handed_over
    for answer in handed_over:
        assert RETRY_SAME_IDS in answer.json()["message"], answer.text
    assert f"caliper_ingest_partial_publish_total {float(len(handed_over))}" in metrics
