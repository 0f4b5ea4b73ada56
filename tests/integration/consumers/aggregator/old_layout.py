"""A store exactly as the release before migrations wrote it (the opaque layout).

DDL copied from that release (`git show 317eeb3:consumers/aggregator/sqlite_store.py`,
`postgres_store.py`); values written as it wrote them: key = JSON array of the five key
parts, value = JSON with decimals as strings. Nothing here uses the code under test.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any, Final

import orjson
import psycopg

from tests.integration.consumers.aggregator.conftest import StoreConfig
from tests.integration.consumers.aggregator.tables import sqlite_path

OLD_SQLITE_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS counted_events (
    event_id TEXT PRIMARY KEY, digest BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS daily_totals (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS consumed_offsets (
    topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
    source TEXT NOT NULL, PRIMARY KEY (topic, partition)) WITHOUT ROWID;
"""


def old_postgres_schema(s: str) -> list[str]:
    return [
        f"CREATE SCHEMA IF NOT EXISTS {s}",
        f"CREATE TABLE IF NOT EXISTS {s}.counted_events"
        " (event_id text PRIMARY KEY, digest bytea NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {s}.daily_totals (key text PRIMARY KEY, value bytea)",
        f"CREATE TABLE IF NOT EXISTS {s}.consumed_offsets (topic text NOT NULL,"
        " partition int NOT NULL, next_offset bigint NOT NULL, source text NOT NULL,"
        " PRIMARY KEY (topic, partition))",
    ]


def old_value(
    events: int,
    metrics: Mapping[str, str],
    waste: Mapping[str, str] | None = None,
    *,
    sourced_id: str | None = None,
    email: str | None = None,
    course_id: str | None = None,
    course_name: str | None = None,
) -> dict[str, Any]:
    return {
        "events": events,
        "metrics": dict(metrics),
        "wasteBySubType": dict(waste or {}),
        "studentSourcedId": sourced_id,
        "email": email,
        "courseId": course_id,
        "courseName": course_name,
    }


def build_old_store(
    config: StoreConfig,
    totals: Mapping[tuple[str, str, str, str, str], Mapping[str, Any]],
    counted: Sequence[tuple[str, bytes]],
    offsets: Sequence[tuple[str, int, int, str]],
) -> None:
    daily = [(orjson.dumps(list(key)).decode(), orjson.dumps(v)) for key, v in totals.items()]
    if config.kind == "sqlite":
        conn = sqlite3.connect(sqlite_path(config), isolation_level=None)
        try:
            conn.executescript(OLD_SQLITE_SCHEMA)
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO counted_events VALUES (?, ?)", counted)
            conn.executemany("INSERT INTO daily_totals VALUES (?, ?)", daily)
            conn.executemany("INSERT INTO consumed_offsets VALUES (?, ?, ?, ?)", offsets)
            conn.execute("COMMIT")
        finally:
            conn.close()
        return
    s = config.schema
    with psycopg.connect(config.url) as pg, pg.cursor() as cursor:
        for statement in old_postgres_schema(s):
            cursor.execute(statement)
        cursor.executemany(f"INSERT INTO {s}.counted_events VALUES (%s, %s)", counted)
        cursor.executemany(f"INSERT INTO {s}.daily_totals VALUES (%s, %s)", daily)
        # The old release created a row with a NULL value before filling it, in one
        # transaction; such a row is not a total (the old all_totals skipped it).
        cursor.execute(f'INSERT INTO {s}.daily_totals VALUES (\'["never","filled"]\', NULL)')
        cursor.executemany(f"INSERT INTO {s}.consumed_offsets VALUES (%s, %s, %s, %s)", offsets)
