"""Fault injection through the whole pipeline: bursts, a 400, an expired token, replay."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from prometheus_client import CollectorRegistry

from caliper_pipeline.dev.oneroster import DevServer
from consumers.oneroster.metrics import WriterMetrics
from consumers.oneroster.replay import replay_dead_letters
from tests.integration.conftest import FrontDoor, kafka_options, read_topic
from tests.integration.consumers.oneroster.conftest import (
    ROSTER,
    activity,
    eventually,
    post_events,
    running_writer,
    sample,
    writer_settings,
)

pytestmark = pytest.mark.integration


def resource(n: int) -> str:
    return f"{ROSTER}/courses/component-resources/res-{n}"


async def add_fault(server: DevServer, **fault: Any) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{server.url}/_dev/faults", json=fault)
    assert answer.status_code == 201, answer.text


async def test_429_500_and_drop_bursts_end_with_every_result_written_once(
    bootstrap_servers: str, front_door: FrontDoor, oneroster: DevServer
) -> None:
    events = [activity(f"stu-{n % 4}", resource(n), attempt=1) for n in range(12)]
    await add_fault(oneroster, kind="status", status=429, retryAfter=1, count=3)
    await add_fault(oneroster, kind="status", status=500, count=4)
    await add_fault(oneroster, kind="status", status=503, count=2, target="token")
    await add_fault(oneroster, kind="drop", count=2)
    await add_fault(oneroster, kind="latency", seconds=0.3, count=2)
    await post_events(front_door.url, events)
    # One unlucky call may meet all 9 gradebook faults in a row: allow that many retries.
    settings = writer_settings(front_door.settings.events_topic, oneroster, retry_max=10)
    async with running_writer(settings, bootstrap_servers) as metrics:
        await eventually(lambda: sample(metrics, "caliper_oneroster_results_written_total") == 12)
    writes = oneroster.app.store.writes["assessmentResults"]
    assert len(writes) == 12
    assert set(writes.values()) == {1}
    assert oneroster.app.faults.pending == 0
    assert sample(metrics, "caliper_oneroster_retries_total", reason="rate_limited") == 3
    assert sample(metrics, "caliper_oneroster_retries_total", reason="server_error") == 4
    assert sample(metrics, "caliper_oneroster_retries_total", reason="token_unavailable") == 2
    assert sample(metrics, "caliper_oneroster_retries_total", reason="connection") == 2
    assert sample(metrics, "caliper_oneroster_dead_letters_total", code="rejected") == 0


async def test_a_400_lands_in_the_dlq_with_event_request_and_answer(
    bootstrap_servers: str, front_door: FrontDoor, oneroster: DevServer
) -> None:
    await add_fault(oneroster, kind="status", status=400, count=1, pathContains="assessmentResults")
    events = [activity("stu-1", resource(1)), activity("stu-1", resource(2))]
    await post_events(front_door.url, events)
    settings = writer_settings(front_door.settings.events_topic, oneroster)
    async with running_writer(settings, bootstrap_servers) as metrics:
        await eventually(
            lambda: (
                sample(metrics, "caliper_oneroster_results_written_total") == 1
                and sample(metrics, "caliper_oneroster_dead_letters_total", code="rejected") == 1
            )
        )
        # The gauges are read off Kafka: the DLQ holds the letter, nothing is left to do.
        await eventually(lambda: sample(metrics, "caliper_oneroster_dlq_records") == 1)
        lag = [
            s.value
            for metric in metrics.registry.collect()
            for s in metric.samples
            if s.name == "caliper_oneroster_consumer_lag_records"
        ]
        assert lag
        assert all(value == 0 for value in lag)
    letters = await read_topic(bootstrap_servers, settings.dlq_topic, expect=1)
    assert len(letters) == 1
    letter = orjson.loads(letters[0].value or b"")
    assert letters[0].key == events[0]["actor"]["id"].encode()
    assert letter["reason"] == "rejected"
    assert letter["record"]["event"]["id"] == events[0]["id"]
    assert letter["request"]["method"] == "PUT"
    assert "/assessmentResults/" in letter["request"]["url"]
    assert letter["request"]["body"]["student"] == {"sourcedId": "stu-1"}
    assert letter["response"]["status"] == 400
    assert letter["response"]["body"]["imsx_codeMajor"] == "failure"
    # The second event (same student, after the failure) was still written.
    assert len(oneroster.app.store.objects["assessmentResults"]) == 1


async def test_an_expired_token_is_refreshed(
    bootstrap_servers: str, front_door: FrontDoor, oneroster: DevServer
) -> None:
    settings = writer_settings(front_door.settings.events_topic, oneroster)
    async with running_writer(settings, bootstrap_servers) as metrics:
        await post_events(front_door.url, [activity("stu-1", resource(1))])
        await eventually(lambda: sample(metrics, "caliper_oneroster_results_written_total") == 1)
        async with httpx.AsyncClient() as client:
            expired = await client.post(f"{oneroster.url}/_dev/expire-tokens")
        assert expired.json() == {"expired": 1}
        await post_events(front_door.url, [activity("stu-1", resource(2))])
        await eventually(lambda: sample(metrics, "caliper_oneroster_results_written_total") == 2)
    assert sample(metrics, "caliper_oneroster_token_refreshes_total", reason="initial") == 1
    assert sample(metrics, "caliper_oneroster_token_refreshes_total", reason="unauthorized") == 1
    assert sample(metrics, "caliper_oneroster_retries_total", reason="unauthorized") == 1
    assert oneroster.app.store.tokens_issued == 2


async def test_replay_dlq_recovers_after_the_server_is_fixed(
    bootstrap_servers: str, front_door: FrontDoor, oneroster: DevServer
) -> None:
    events = [activity(f"stu-{n}", resource(n)) for n in range(4)]
    await add_fault(oneroster, kind="status", status=500, count=1000)
    await post_events(front_door.url, events)
    settings = writer_settings(front_door.settings.events_topic, oneroster, retry_max=1)
    async with running_writer(settings, bootstrap_servers) as metrics:
        await eventually(
            lambda: (
                sample(metrics, "caliper_oneroster_dead_letters_total", code="retries_exhausted")
                == 4
            )
        )
    assert oneroster.app.store.objects["assessmentResults"] == {}
    async with httpx.AsyncClient() as client:
        await client.delete(f"{oneroster.url}/_dev/faults")

    replay_metrics = WriterMetrics(CollectorRegistry())
    summary = await replay_dead_letters(settings, kafka_options(bootstrap_servers), replay_metrics)
    assert (summary.written, summary.dead_lettered, summary.unreadable) == (4, 0, 0)
    assert len(oneroster.app.store.objects["assessmentResults"]) == 4
    assert sample(replay_metrics, "caliper_oneroster_replayed_total", outcome="written") == 4
    # Replay commits: a second replay finds nothing left to do.
    assert (
        await replay_dead_letters(settings, kafka_options(bootstrap_servers), replay_metrics)
    ).written == 0
