"""Front door -> broker -> aggregator -> daily totals, against each store."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest
from prometheus_client import CollectorRegistry

from consumers.aggregator.settings import AggregatorSettings
from consumers.aggregator.store import Store
from consumers.aggregator.store_factory import open_store
from ingest.http.routes import EVENT_PATH
from tests.integration.conftest import start_front_door, stop_front_door, unique_settings
from tests.integration.consumers.aggregator.conftest import (
    StoreConfig,
    aggregator_settings,
    serve_aggregator,
)
from tests.integration.consumers.aggregator.stream import (
    assert_daily_equal,
    conflicting,
    expected_daily,
    generic_event,
    produce,
    produce_raw,
    read_all,
    read_daily,
    timeback_event,
    wait_caught_up,
)
from tests.integration.consumers.aggregator.tables import execute

pytestmark = pytest.mark.integration


@asynccontextmanager
async def running(
    settings: AggregatorSettings, bootstrap: str
) -> AsyncIterator[tuple[CollectorRegistry, Store]]:
    """The aggregator in-process through its async entry point, plus a second handle on
    its store for the test to watch offsets."""
    registry = CollectorRegistry()
    stop = asyncio.Event()
    task = asyncio.create_task(serve_aggregator(settings, bootstrap, registry=registry, stop=stop))
    watcher = open_store(settings.store_url.get_secret_value(), schema=settings.store_schema)
    # Both create the tables if missing; the stores make that safe to race.
    await watcher.start()
    try:
        yield registry, watcher
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 15) == 0
        await watcher.stop()


def envelope(events: list[dict[str, Any]], send_time: str) -> bytes:
    return orjson.dumps(
        {
            "sensor": "https://app.example",
            "sendTime": send_time,
            "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
            "data": events,
        }
    )


async def test_front_door_to_exact_daily_totals(
    bootstrap_servers: str, store_config: StoreConfig
) -> None:
    rng = random.Random(4)
    events = [timeback_event(n, rng, students=5) for n in range(60)]
    negative = timeback_event(60, rng, students=5)
    negative["type"], negative["action"] = "ActivityEvent", "Completed"
    negative["generated"] = {
        "id": "urn:m:neg",
        "type": "TimebackActivityMetricsCollection",
        "items": [{"type": "xpEarned", "value": -7.5}],
    }
    conflict = conflicting(events[0])
    door_settings = unique_settings()
    settings = aggregator_settings(store_config, events_topic=door_settings.events_topic)
    door, door_task = await start_front_door(door_settings, bootstrap_servers)
    try:
        async with (
            running(settings, bootstrap_servers) as (registry, watcher),
            httpx.AsyncClient() as client,
        ):
            posts = [
                envelope(events[:40], "2026-03-05T00:00:00Z"),
                envelope(events[20:], "2026-03-05T00:00:01Z"),  # re-sent in part
                envelope([negative, generic_event(1), conflict], "2026-03-05T00:00:02Z"),
            ]
            for body in posts:
                response = await client.post(
                    f"{door.url}{EVENT_PATH}",
                    content=body,
                    headers={"content-type": "application/json"},
                )
                assert response.status_code == 200, response.text
            await wait_caught_up(watcher, settings.events_topic, 40 + 40 + 3)

            def sample(name: str) -> float | None:
                return registry.get_sample_value(name)

            assert sample("caliper_aggregator_duplicates_total") == 20
            assert sample("caliper_aggregator_conflicts_total") == 1
            assert sample("caliper_aggregator_generic_events_total") == 1
            assert sample("caliper_aggregator_malformed_records_total") == 0
            assert (sample("caliper_aggregator_end_to_end_latency_seconds_count") or 0) == 61
    finally:
        await stop_front_door(door, door_task)

    expected = expected_daily([*events, negative])
    assert_daily_equal(await read_daily(bootstrap_servers, settings.daily_topic), expected)
    facts = await read_all(bootstrap_servers, settings.facts_topic)
    assert sorted(orjson.loads(v)["eventId"] for _, v in facts) == sorted(
        e["id"] for e in [*events, negative]
    )
    (conflict_record,) = await read_all(bootstrap_servers, settings.conflicts_topic)
    assert orjson.loads(conflict_record[1])["eventId"] == events[0]["id"]
    assert_tables_agree(store_config, [*events, negative], expected)


def assert_tables_agree(
    store: StoreConfig,
    counted: list[dict[str, Any]],
    expected: dict[tuple[str, ...], dict[str, Any]],
) -> None:
    """The store's tables as an analyst reads them: one `facts` row per counted event
    (not the duplicates nor the conflict), daily totals as columns, and the two agree."""
    ids = execute(store, "SELECT event_id FROM {t}facts")
    assert sorted(i for (i,) in ids) == sorted(e["id"] for e in counted)
    daily = execute(
        store,
        "SELECT student_id, date_utc, subject, app, course_key, events, xp_earned,"
        " active_seconds FROM {t}daily_totals",
    )
    got = {
        (s, str(d), j, a, c): (n, Decimal(str(x)), Decimal(str(t)))
        for s, d, j, a, c, n, x, t in daily
    }
    assert got == {
        key: (
            want["events"],
            want.get("xpEarned", Decimal(0)),
            want.get("activeSeconds", Decimal(0)),
        )
        for key, want in expected.items()
    }
    # Exact per-event XP summed back per day and student equals the daily totals.
    from_facts = execute(
        store,
        "SELECT student_id, date_utc, xp_earned FROM {t}facts WHERE xp_earned IS NOT NULL",
    )
    per_day: dict[tuple[str, str], Decimal] = {}
    for student, date, xp in from_facts:
        per_day[(student, str(date))] = per_day.get((student, str(date)), Decimal(0)) + Decimal(
            str(xp)
        )
    for (student, date), xp in per_day.items():
        assert xp == sum((v[1] for k, v in got.items() if k[:2] == (student, date)), Decimal(0)), (
            student,
            date,
        )


async def test_malformed_records_are_counted_and_skipped(
    bootstrap_servers: str, store_config: StoreConfig
) -> None:
    settings = aggregator_settings(store_config)
    rng = random.Random(5)
    good = [timeback_event(n, rng) for n in range(10)]
    async with running(settings, bootstrap_servers) as (registry, watcher):
        await produce_raw(
            bootstrap_servers,
            settings.events_topic,
            [
                (b"{not json", [("record-version", b"1")]),
                (orjson.dumps({"event": good[0]}), [("record-version", b"9")]),
                (orjson.dumps({"event": {"type": "ActivityEvent"}}), []),
            ],
        )
        await produce(bootstrap_servers, settings.events_topic, good)
        await wait_caught_up(watcher, settings.events_topic, 3 + 10)
        assert registry.get_sample_value("caliper_aggregator_malformed_records_total") == 3
        assert registry.get_sample_value(
            "caliper_aggregator_facts_total", {"event_type": "ActivityEvent"}
        ) == sum(e["type"] == "ActivityEvent" for e in good)
        totals = await watcher.all_totals()
        assert sum(t.events for t in totals) == 10
    assert_daily_equal(
        await read_daily(bootstrap_servers, settings.daily_topic), expected_daily(good)
    )


async def test_a_nul_in_a_name_adds_up_across_batches(
    bootstrap_servers: str, store_config: StoreConfig
) -> None:
    """SQLite's ->> cut a key at U+0000, so each batch overwrote the total; PostgreSQL
    refused the text and retried the batch forever. The fact carries U+FFFD instead."""
    settings = aggregator_settings(store_config)
    rng = random.Random(6)
    events = [timeback_event(n, rng, students=1) for n in range(6)]
    for event in events:
        event["object"]["app"] = {"name": "App\x00Two"}
    async with running(settings, bootstrap_servers) as (registry, watcher):
        for upto in (3, 6):  # two batches on the same keys
            await produce(bootstrap_servers, settings.events_topic, events[upto - 3 : upto])
            await wait_caught_up(watcher, settings.events_topic, upto)
        totals = await watcher.all_totals()
        assert registry.get_sample_value("caliper_aggregator_malformed_records_total") == 0
    assert {t.key[3] for t in totals} == {"App\ufffdTwo"}
    assert sum(t.events for t in totals) == 6
