"""Front door -> Kafka -> results writer -> dev OneRoster: ids, scores, metadata, attempts."""

from __future__ import annotations

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from caliper_pipeline.dev.oneroster import DevServer
from consumers.oneroster import mapping
from tests.integration.conftest import FrontDoor, read_topic
from tests.integration.consumers.oneroster.conftest import (
    GRADEBOOK,
    ROSTER,
    activity,
    eventually,
    post_events,
    running_writer,
    sample,
    writer_settings,
)

pytestmark = pytest.mark.integration

RESOURCE = f"{ROSTER}/courses/component-resources/res-1"
APP_ACTIVITY = "https://app.example.com/activities/7"


def result_id(activity_id: str, student: str, attempt: int) -> str:
    return mapping.result_id(mapping.line_item_id(activity_id), student, attempt)


async def test_results_attempts_overwrites_and_redelivery(
    bootstrap_servers: str, front_door: FrontDoor, oneroster: DevServer
) -> None:
    events = [
        activity("stu-1", RESOURCE, attempt=1, total=10, correct=8, xp=20),
        activity("stu-1", RESOURCE, attempt=2, total=10, correct=6, xp=5),
        # the same attempt again: overwrites attempt 2
        activity("stu-1", RESOURCE, attempt=2, total=10, correct=9, xp=7),
        activity("stu-2", APP_ACTIVITY, total=None, correct=None, xp=3.5, name=None),
        activity("stu-3", APP_ACTIVITY, process=False),
    ]
    time_spent = {
        **activity("stu-3", APP_ACTIVITY),
        "type": "TimeSpentEvent",
        "action": "SpentTime",
        "generated": {
            "id": "urn:uuid:7d1f3c52-5b8a-4b38-9b6a-1b8a1c0e0a11",
            "type": "TimebackTimeSpentMetricsCollection",
            "items": [{"type": "active", "value": 10}],
        },
    }
    del time_spent["object"]["process"]
    await post_events(front_door.url, [*events, time_spent])
    settings = writer_settings(front_door.settings.events_topic, oneroster)
    store = oneroster.app.store
    async with running_writer(settings, bootstrap_servers) as metrics:
        await eventually(
            lambda: (
                sample(metrics, "caliper_oneroster_events_skipped_total", reason="not_processed")
                == 1
                and sample(metrics, "caliper_oneroster_events_skipped_total", reason="not_activity")
                == 1
                and sample(metrics, "caliper_oneroster_results_written_total") == 4
            ),
            what="4 writes",
        )

    results = store.objects["assessmentResults"]
    assert len(results) == 3
    first = results[result_id(RESOURCE, "stu-1", 1)]
    second = results[result_id(RESOURCE, "stu-1", 2)]
    other = results[result_id(APP_ACTIVITY, "stu-2", 1)]
    assert (first["score"], second["score"], other["score"]) == (80.0, 90.0, None)
    assert second["metadata"]["xp"] == 7  # the repeated attempt overwrote attempt 2
    assert second["metadata"] == {
        "xp": 7,
        "totalQuestions": 10,
        "correctQuestions": 9,
        "accuracy": 90.0,
        "attempt": 2,
        "eventId": events[2]["id"],
        "sensor": "https://app.example.com",
    }
    assert other["metadata"] == {
        "xp": 3.5,
        "attempt": 1,
        "eventId": events[3]["id"],
        "sensor": "https://app.example.com",
    }
    assert first["student"] == {"sourcedId": "stu-1"}
    assert first["scoreStatus"] == "fully graded"
    assert first["scoreDate"] == "2026-02-10T15:04:05.000Z"
    items = store.objects["assessmentLineItems"]
    resource_item = items[mapping.line_item_id(RESOURCE)]
    assert resource_item["componentResource"] == {"sourcedId": "res-1"}
    assert resource_item["course"] == {"sourcedId": "course-1"}
    assert resource_item["title"] == "Quiz"
    app_item = items[mapping.line_item_id(APP_ACTIVITY)]
    assert "componentResource" not in app_item
    assert app_item["title"] == APP_ACTIVITY
    assert store.writes["assessmentResults"][result_id(RESOURCE, "stu-1", 2)] == 2

    # What was written is served back with the OneRoster GET calls.
    async with httpx.AsyncClient(base_url=oneroster.url) as client:
        listed = await client.get(
            f"{GRADEBOOK}/assessmentResults",
            params={
                "filter": "student.sourcedId='stu-1'",
                "sort": "score",
                "limit": 1,
                "offset": 1,
            },
        )
        one = await client.get(
            f"{GRADEBOOK}/assessmentResults/{result_id(APP_ACTIVITY, 'stu-2', 1)}"
        )
    assert listed.json()["totalCount"] == 2
    assert [r["score"] for r in listed.json()["assessmentResults"]] == [90.0]
    assert one.json()["assessmentResult"]["metadata"]["xp"] == 3.5

    # Redelivery: a new group reads every event again; no result is added.
    again = settings.model_copy(update={"group_id": settings.group_id + "-again"})
    async with running_writer(again, bootstrap_servers) as metrics:
        await eventually(lambda: sample(metrics, "caliper_oneroster_results_written_total") == 4)
    assert len(store.objects["assessmentResults"]) == 3
    assert len(store.objects["assessmentLineItems"]) == 2
    assert sample(metrics, "caliper_oneroster_write_duration_seconds_count", outcome="written") == 4


async def test_a_malformed_record_is_dead_lettered_and_the_writer_moves_on(
    bootstrap_servers: str, front_door: FrontDoor, oneroster: DevServer
) -> None:
    topic = front_door.settings.events_topic
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"\x00not json", key=b"k")
        await producer.send_and_wait(
            topic,
            orjson.dumps({"event": {"type": "ActivityEvent", "object": {"process": True}}}),
            key=b"k",
        )
    finally:
        await producer.stop()
    await post_events(front_door.url, [activity("stu-9", RESOURCE)])
    settings = writer_settings(topic, oneroster)
    async with running_writer(settings, bootstrap_servers) as metrics:
        await eventually(lambda: sample(metrics, "caliper_oneroster_results_written_total") == 1)
        await eventually(
            lambda: (
                sample(metrics, "caliper_oneroster_dead_letters_total", code="malformed_record")
                == 1
                and sample(metrics, "caliper_oneroster_dead_letters_total", code="no_student") == 1
            )
        )
    letters = await read_topic(bootstrap_servers, settings.dlq_topic, expect=2)
    reasons = sorted(orjson.loads(letter.value or b"")["reason"] for letter in letters)
    assert reasons == ["malformed_record", "no_student"]
