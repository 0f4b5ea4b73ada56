"""Front door -> broker -> aggregator -> store -> analytics API, on both stores.

The expected numbers are worked out by hand in the comments: days are cut in the
asked timezone (Asia/Tokyo +09:00, Asia/Kolkata +05:30, America/New_York across the
DST start of 2026-03-08, CET in summer time), a negative XP counts, a conflicting
re-send and a duplicate do not change anything.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import orjson
import pytest

from ingest.http.routes import EVENT_PATH
from tests.integration.conftest import start_front_door, stop_front_door, unique_settings
from tests.integration.consumers.aggregator.conftest import StoreConfig, aggregator_settings
from tests.integration.consumers.aggregator.stream import wait_caught_up
from tests.integration.consumers.aggregator.test_pipeline import envelope, running
from tests.integration.consumers.analytics.conftest import analytics_server

pytestmark = pytest.mark.integration

STUDENT = "https://api.example/ims/oneroster/rostering/v1p2/users/stu-tz"
COURSE = "https://app.example/courses/algebra"


def event(n: int, time: str, kind: str, value: float, *, subject: str = "Math") -> dict[str, Any]:
    activity = kind == "xpEarned"
    return {
        "@context": "http://purl.imsglobal.org/ctx/caliper/v1p2",
        "id": f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
        "type": "ActivityEvent" if activity else "TimeSpentEvent",
        "action": "Completed" if activity else "SpentTime",
        "profile": "TimebackProfile",
        "actor": {"id": STUDENT, "type": "TimebackUser", "email": "tz@school.example"},
        "object": {
            "id": "https://app.example/ctx/1",
            "type": "TimebackActivityContext",
            "subject": subject,
            "app": {"name": "App A" if activity else "App B"},
            "course": {"id": COURSE, "name": "Algebra"},
            "activity": {"id": f"https://app.example/act/{n}", "name": f"Lesson {n}"},
        },
        "eventTime": time,
        "generated": {
            "id": f"urn:m:{n}",
            "type": "TimebackActivityMetricsCollection"
            if activity
            else "TimebackTimeSpentMetricsCollection",
            "items": [{"type": kind, "value": value}],
        },
    }


EVENTS = [
    event(1, "2026-03-02T23:30:00Z", "xpEarned", 10),  # Tokyo 03-03 08:30, NY 03-02
    event(2, "2026-03-08T04:30:00Z", "active", 300, subject="Reading"),  # NY 03-07 23:30 EST
    event(3, "2026-03-09T04:30:00Z", "active", 200, subject="Reading"),  # NY 03-09 00:30 EDT
    event(4, "2026-03-03T14:00:00Z", "xpEarned", -2.5),  # Tokyo 03-03 23:00
    event(5, "2026-03-04T18:29:00Z", "xpEarned", 1),  # Kolkata 03-04 23:59
    event(6, "2026-03-04T18:30:00Z", "xpEarned", 2),  # Kolkata 03-05 00:00
    # CET 07-01 00:30 (summer time, +02:00); PostgreSQL's own `CET` is a fixed +01:00.
    event(7, "2026-06-30T22:30:00Z", "xpEarned", 4) | {"object": {
        "id": "https://app.example/ctx/1", "type": "TimebackActivityContext",
        "subject": "Math", "course": {"id": f"{COURSE}-2", "name": "Geometry"},
    }},
]  # fmt: skip


def conflicting_first() -> dict[str, Any]:
    changed = copy.deepcopy(EVENTS[0])
    changed["generated"]["items"][0]["value"] = 1000
    return changed


async def fill_through_the_pipeline(store: StoreConfig, bootstrap: str) -> None:
    door_settings = unique_settings()
    settings = aggregator_settings(store, events_topic=door_settings.events_topic)
    door, door_task = await start_front_door(door_settings, bootstrap)
    try:
        async with running(settings, bootstrap) as (_, watcher), httpx.AsyncClient() as client:
            bodies = [
                envelope(EVENTS, "2026-03-10T00:00:00Z"),
                envelope([conflicting_first(), EVENTS[3]], "2026-03-10T00:00:01Z"),
            ]
            for body in bodies:
                response = await client.post(
                    f"{door.url}{EVENT_PATH}",
                    content=body,
                    headers={"content-type": "application/json"},
                )
                assert response.status_code == 200, response.text
            await wait_caught_up(watcher, settings.events_topic, len(EVENTS) + 2)
    finally:
        await stop_front_door(door, door_task)


def xp(facts: dict[str, Any], day: str, subject: str = "Math") -> Any:
    return facts[day][subject]["activityMetrics"]["xpEarned"]


def active(facts: dict[str, Any], day: str) -> Any:
    return facts[day]["Reading"]["timeSpentMetrics"]["activeSeconds"]


async def test_answers_cut_days_in_the_asked_timezone(
    bootstrap_servers: str, store_config: StoreConfig
) -> None:
    await fill_through_the_pipeline(store_config, bootstrap_servers)
    async with (
        analytics_server(store_config.url, schema=store_config.schema) as (url, registry),
        httpx.AsyncClient(base_url=url) as client,
    ):

        async def get(path: str, **query: str) -> dict[str, Any]:
            response = await client.get(path, params=query)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = orjson.loads(response.content)
            return body

        async def activity(tz: str, start: str, end: str) -> dict[str, Any]:
            answer = await get(
                "/analytics/activity", studentId="stu-tz", startDate=start, endDate=end, timezone=tz
            )
            facts: dict[str, Any] = answer["facts"]
            return facts

        utc = await activity("UTC", "2026-03-01", "2026-03-10")
        assert (xp(utc, "2026-03-02"), xp(utc, "2026-03-03")) == (10, -2.5)
        assert (xp(utc, "2026-03-04"), active(utc, "2026-03-08")) == (3, 300)

        tokyo = await activity("Asia/Tokyo", "2026-03-01", "2026-03-10")
        assert "2026-03-02" not in tokyo
        assert xp(tokyo, "2026-03-03") == 7.5  # 10 and -2.5 on the same Tokyo day
        assert tokyo["2026-03-03"]["Math"]["apps"]["App A"]["activityMetrics"]["xpEarned"] == 7.5
        assert xp(tokyo, "2026-03-05") == 3  # 03:29 and 03:30 Tokyo time

        kolkata = await activity("Asia/Kolkata", "2026-03-04", "2026-03-05")
        assert (xp(kolkata, "2026-03-04"), xp(kolkata, "2026-03-05")) == (1, 2)

        new_york = await activity("America/New_York", "2026-03-07", "2026-03-09")
        assert sorted(new_york) == ["2026-03-07", "2026-03-09"]  # EST before, EDT after
        assert (active(new_york, "2026-03-07"), active(new_york, "2026-03-09")) == (300, 200)

        week = await get(
            "/analytics/facts/weekly", email="tz@school.example", weekDate="2026-03-04",
            timezone="Asia/Tokyo",
        )  # fmt: skip
        assert (week["weekStart"], week["weekEnd"]) == ("2026-03-02", "2026-03-08")
        ids = {day: [f["eventId"][-2:] for f in facts] for day, facts in week["facts"].items()}
        assert ids == {
            "2026-03-02": [], "2026-03-03": ["01", "04"], "2026-03-04": [],
            "2026-03-05": ["05", "06"], "2026-03-06": [], "2026-03-07": [], "2026-03-08": ["02"],
        }  # fmt: skip
        first = week["facts"]["2026-03-03"][0]
        assert (first["metrics"], first["app"], first["activityName"]) == (
            {"xpEarned": 10},
            "App A",
            "Lesson 1",
        )  # the counted version, not the conflicting re-send

        course = await get("/analytics/enrollment", studentId=STUDENT, courseId=COURSE)
        assert course["events"] == 6
        assert course["activityMetrics"]["xpEarned"] == 10.5  # 10 - 2.5 + 1 + 2
        assert course["timeSpentMetrics"]["activeSeconds"] == 500
        march_4_tokyo = await get(
            "/analytics/enrollment", studentId="stu-tz", courseId=COURSE,
            startDate="2026-03-05", endDate="2026-03-05", timezone="Asia/Tokyo",
        )  # fmt: skip
        assert (march_4_tokyo["events"], march_4_tokyo["activityMetrics"]["xpEarned"]) == (2, 3)

        cet = await activity("CET", "2026-06-30", "2026-07-01")
        assert sorted(cet) == ["2026-07-01"]
        assert xp(cet, "2026-07-01") == 4

        unknown = await get(
            "/analytics/activity", studentId="stu-nobody", startDate="2026-03-01",
            endDate="2026-03-10",
        )  # fmt: skip
        assert unknown["facts"] == {}
        # UTC, Tokyo, Kolkata, New York, CET and the unknown student.
        labels = {"endpoint": "activity", "status": "200"}
        assert registry.get_sample_value("caliper_analytics_requests_total", labels) == 6
