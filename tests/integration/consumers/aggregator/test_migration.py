"""A store written by the release before migrations (the opaque layout) is migrated in
place on first start: every total, counted id and offset survives, exactly, on both
stores; a second start changes nothing; aggregating afterwards adds to the old totals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

import orjson
import pytest
from prometheus_client import CollectorRegistry

from consumers.aggregator.facts import digest
from consumers.aggregator.folding import Totals
from consumers.aggregator.migrations import LATEST_VERSION, METRIC_COLUMNS
from consumers.aggregator.store import Store, StoreError
from consumers.aggregator.store_factory import open_store
from tests.integration.consumers.aggregator.conftest import (
    StoreConfig,
    aggregator_settings,
    serve_aggregator,
)
from tests.integration.consumers.aggregator.old_layout import build_old_store, old_value
from tests.integration.consumers.aggregator.stream import (
    conflicting,
    produce,
    read_daily,
    wait_caught_up,
)
from tests.integration.consumers.aggregator.tables import execute

pytestmark = pytest.mark.integration

USERS: Final = "https://api.example/ims/oneroster/rostering/v1p2/users"
STU77: Final = f"{USERS}/stu-77"
S2: Final = f"{USERS}/s2"
C1: Final = "https://app.example/courses/c1"
MATH_10: Final = (STU77, "2026-02-10", "Math", "Nice Academy", "algebra-basics")
OLD: Final[dict[tuple[str, str, str, str, str], dict[str, Any]]] = {
    MATH_10: old_value(
        3,
        {"xpEarned": "12.5", "totalQuestions": "8", "correctQuestions": "1"},
        sourced_id="stu-77",
        email="kid@alpha.school",
        course_name="algebra-basics",
    ),
    (STU77, "2026-02-11", "Math", "Nice Academy", "algebra-basics"): old_value(
        2, {"xpEarned": "-7.25"}, sourced_id="stu-77", course_name="algebra-basics"
    ),
    (STU77, "2026-02-11", "Reading", "", ""): old_value(
        1, {"xpEarned": "0.30000000000000004"}, sourced_id="stu-77"
    ),
    (S2, "2026-02-10", "Science", "Math Raiders", C1): old_value(
        4,
        {"activeSeconds": "1800", "wasteSeconds": "45.5", "inactiveSeconds": "12"},
        {"eating": "30", "break": "15.5"},
        sourced_id="s2",
        email="s2@school.example",
        course_id=C1,
        course_name="Course",
    ),
    (S2, "2026-02-12", "Math", "", C1): old_value(2, {"xpEarned": "0"}, course_id=C1),
}
# Many keys: the conversion reads and writes in chunks.
MANY: Final = {
    (f"{USERS}/bulk{i}", "2026-01-05", "Math", "App", ""): old_value(1, {"xpEarned": f"{i}.5"})
    for i in range(12_345)
}
OFFSETS: Final = [("caliper.events", 0, 1234, "cluster-x/run1"), ("caliper.events", 3, 7, "c/r")]


def event(n: int, xp: float, *, date: str = "2026-02-10") -> dict[str, Any]:
    """An ActivityEvent of stu-77 in MATH_10's key (course by name only)."""
    return {
        "id": f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
        "type": "ActivityEvent",
        "action": "Completed",
        "profile": "TimebackProfile",
        "actor": {"id": STU77, "type": "TimebackUser", "email": "kid@alpha.school"},
        "object": {
            "id": "https://app.example/ctx/1",
            "type": "TimebackActivityContext",
            "subject": "Math",
            "app": {"name": "Nice Academy"},
            "course": {"name": "algebra-basics"},
        },
        "eventTime": f"{date}T23:30:00.5+00:00",
        "generated": {
            "id": f"urn:m:{n}",
            "type": "TimebackActivityMetricsCollection",
            "items": [{"type": "xpEarned", "value": xp}],
        },
    }


COUNTED_BEFORE: Final = event(1, 2.5)
INDEXES: Final = {
    "facts_student_sourced_time",
    "facts_student_time",
    "facts_email_time",
    "facts_course",
    "daily_student_sourced_date",
    "daily_email_date",
    "daily_course",
}


def indexes(config: StoreConfig) -> set[str]:
    if config.kind == "sqlite":
        rows = execute(config, "SELECT name FROM sqlite_master WHERE type = 'index'")
    else:
        rows = execute(
            config, "SELECT indexname FROM pg_indexes WHERE schemaname = ?", (config.schema,)
        )
    return {str(name) for (name,) in rows}


def normal(totals: Totals) -> dict[str, Any]:
    """Totals as the old release's JSON value: a metric absent there is 0 here."""
    return {
        "events": totals.events,
        "metrics": {k: v for k, v in totals.metrics.items() if v != 0},
        "wasteBySubType": totals.waste_by_sub_type,
        "studentSourcedId": totals.student_sourced_id,
        "email": totals.email,
        "courseId": totals.course_id,
        "courseName": totals.course_name,
    }


def expected(value: dict[str, Any]) -> dict[str, Any]:
    decimals = {k: Decimal(v) for k, v in value["metrics"].items() if Decimal(v) != 0}
    waste = {k: Decimal(v) for k, v in value["wasteBySubType"].items()}
    return value | {"metrics": decimals, "wasteBySubType": waste}


@asynccontextmanager
async def started(config: StoreConfig) -> AsyncIterator[Store]:
    """The store as the new release opens it: migrations run in start()."""
    store = open_store(config.url, schema=config.schema)
    await store.start()
    try:
        yield store
    finally:
        await store.stop()


async def stored(config: StoreConfig) -> dict[tuple[str, ...], dict[str, Any]]:
    async with started(config) as store:
        return {t.key: normal(t) for t in await store.all_totals()}


async def test_an_old_layout_store_is_migrated_in_place(
    store_config: StoreConfig, bootstrap_servers: str
) -> None:
    old_ids = [(COUNTED_BEFORE["id"], digest(COUNTED_BEFORE)), ("urn:uuid:other", b"\x01" * 16)]
    build_old_store(store_config, {**OLD, **MANY}, old_ids, OFFSETS)

    assert await stored(store_config) == {k: expected(v) for k, v in {**OLD, **MANY}.items()}
    versions = execute(store_config, "SELECT version, name, applied_at FROM {t}schema_migrations")
    assert [(v, n) for v, n, _ in versions] == [(1, "opaque_layout"), (2, "relational_facts")]
    assert LATEST_VERSION == 2
    # The columns themselves: exact decimal text in SQLite, numeric in PostgreSQL.
    columns = ", ".join(METRIC_COLUMNS.values())
    (row,) = execute(
        store_config,
        f"SELECT events, {columns}, waste_by_sub_type, email, course_id FROM {{t}}daily_totals"
        " WHERE student_id = ? AND subject = 'Science'",
        (S2,),
    )
    metrics = [Decimal(str(v)) for v in row[1:10]]
    assert (row[0], metrics) == (4, [0, 0, 0, 0, 1800, 12, Decimal("45.5"), 0, 0])
    waste = row[10] if isinstance(row[10], dict) else orjson.loads(row[10])
    assert (waste, row[11:]) == ({"break": "15.5", "eating": "30"}, ("s2@school.example", C1))
    (row,) = execute(
        store_config,
        "SELECT xp_earned, app, course_key FROM {t}daily_totals WHERE subject = 'Reading'",
    )
    assert (str(row[0]), row[1], row[2]) == ("0.30000000000000004", "", "")
    analyst = dict(
        execute(
            store_config,
            "SELECT date_utc, sum(xp_earned) FROM {t}daily_totals"
            " WHERE student_sourced_id = 'stu-77' GROUP BY date_utc",
        )
    )
    by_date = {str(date): total for date, total in analyst.items()}
    assert set(by_date) == {"2026-02-10", "2026-02-11"}
    assert Decimal(str(by_date["2026-02-10"])) == Decimal("12.5")
    if store_config.kind == "postgresql":
        assert by_date["2026-02-11"] == Decimal("-6.94999999999999996")  # numeric: exact
    else:
        assert abs(by_date["2026-02-11"] - -6.95) < 1e-12  # SQLite's sum is a double
    assert indexes(store_config) >= INDEXES
    counted = execute(store_config, "SELECT event_id, digest FROM {t}counted_events")
    assert sorted((i, bytes(d)) for i, d in counted) == sorted(old_ids)
    assert execute(store_config, "SELECT count(*) FROM {t}facts") == [(0,)]

    # A second start is a no-op: same versions (same times), same totals.
    assert await stored(store_config) == {k: expected(v) for k, v in {**OLD, **MANY}.items()}
    assert execute(store_config, "SELECT version, name, applied_at FROM {t}schema_migrations") == (
        versions
    )
    async with started(store_config) as store:
        assert await store.load_offsets("caliper.events") == {
            0: (1234, "cluster-x/run1"),
            3: (7, "c/r"),
        }

    # Aggregating afterwards: the old counted id is a duplicate, its changed version a
    # conflict, and a new event adds to the migrated totals and gets a facts row.
    settings = aggregator_settings(store_config)
    new = event(2, 2.5)
    stop, registry = asyncio.Event(), CollectorRegistry()
    task = asyncio.create_task(
        serve_aggregator(settings, bootstrap_servers, registry=registry, stop=stop)
    )
    watcher = open_store(store_config.url, schema=store_config.schema)
    await watcher.start()
    try:
        await produce(
            bootstrap_servers, settings.events_topic, [COUNTED_BEFORE, conflicting(COUNTED_BEFORE)]
        )
        await produce(bootstrap_servers, settings.events_topic, [new])
        await wait_caught_up(watcher, settings.events_topic, 3)
        totals = {t.key: normal(t) for t in await watcher.all_totals()}
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 15) == 0
        await watcher.stop()
    assert registry.get_sample_value("caliper_aggregator_duplicates_total") == 1
    assert registry.get_sample_value("caliper_aggregator_conflicts_total") == 1
    want = expected(OLD[MATH_10])
    want["events"], want["metrics"]["xpEarned"] = 4, Decimal("15.0")
    assert totals[MATH_10] == want
    assert {k: v for k, v in totals.items() if k != MATH_10} == {
        k: expected(v) for k, v in {**OLD, **MANY}.items() if k != MATH_10
    }
    daily = await read_daily(bootstrap_servers, settings.daily_topic)
    assert list(daily) == [MATH_10]
    assert (daily[MATH_10]["events"], daily[MATH_10]["xpEarned"]) == (4, 15)
    assert daily[MATH_10]["totalQuestions"] == 8
    (fact,) = execute(
        store_config,
        "SELECT event_id, event_time, event_time_utc, date_utc, student_sourced_id, xp_earned,"
        " total_questions, waste_by_sub_type FROM {t}facts",
    )
    assert fact[:2] == (new["id"], "2026-02-10T23:30:00.5+00:00")
    # Fixed-width UTC text in SQLite (sorts as time), timestamptz in PostgreSQL.
    utc = datetime(2026, 2, 10, 23, 30, 0, 500_000, tzinfo=UTC)
    assert fact[2] == (utc if store_config.kind == "postgresql" else "2026-02-10T23:30:00.500000Z")
    assert (str(fact[3]), fact[4], str(fact[5]), fact[6], fact[7]) == (
        "2026-02-10",
        "stu-77",
        "2.5",
        None,
        None,
    )


async def test_a_store_newer_than_the_code_is_refused(store_config: StoreConfig) -> None:
    async with started(store_config):
        pass
    execute(
        store_config,
        "INSERT INTO {t}schema_migrations (version, name, applied_at) VALUES (?, 'future', ?)",
        (LATEST_VERSION + 1, "2027-01-01T00:00:00Z"),
    )
    refused = open_store(store_config.url, schema=store_config.schema)
    try:
        with pytest.raises(StoreError, match=f"version {LATEST_VERSION + 1}, newer") as info:
            await refused.start()
    finally:
        await refused.stop()
    assert info.value.retriable is False
    assert execute(store_config, "SELECT max(version) FROM {t}schema_migrations") == [
        (LATEST_VERSION + 1,)
    ]
