"""PostgreSQL migrations: each version in its own transaction under an advisory lock.

The lock (`hashtext(schema)`, the one the releases before migrations took to create
their tables) serializes every process starting against the same schema.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Final

import psycopg

from consumers.aggregator.columns import DAILY_COLUMNS, METRICS
from consumers.aggregator.folding import decode_key, from_stored
from consumers.aggregator.migrations.versions import LATEST_VERSION, MIGRATIONS, check_known
from consumers.aggregator.rows import daily_row
from consumers.aggregator.store import StoreError

logger = logging.getLogger(__name__)

Conn = psycopg.AsyncConnection[tuple[Any, ...]]

SCHEMA_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_CONVERT_CHUNK: Final = 10_000


def _opaque_layout(s: str) -> list[str]:
    """Version 1, exactly as the releases before migrations created it."""
    return [
        f"CREATE TABLE IF NOT EXISTS {s}.counted_events"
        " (event_id text PRIMARY KEY, digest bytea NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {s}.daily_totals (key text PRIMARY KEY, value bytea)",
        f"CREATE TABLE IF NOT EXISTS {s}.consumed_offsets (topic text NOT NULL,"
        " partition int NOT NULL, next_offset bigint NOT NULL, source text NOT NULL,"
        " PRIMARY KEY (topic, partition))",
    ]


def _relational_facts(s: str) -> list[str]:
    """Version 2: `facts`, `daily_totals` as columns (the opaque table is converted)."""
    fact_metrics = ", ".join(f"{name} numeric" for name in METRICS)
    daily_metrics = ", ".join(f"{name} numeric NOT NULL DEFAULT 0" for name in METRICS)
    return [
        f"CREATE TABLE {s}.facts (event_id text PRIMARY KEY, event_type text NOT NULL,"
        " event_time text NOT NULL, event_time_utc timestamptz NOT NULL,"
        " date_utc date NOT NULL, student_id text NOT NULL, student_sourced_id text,"
        " email text, subject text NOT NULL, app text, course_id text, course_name text,"
        f" activity_id text, activity_name text, {fact_metrics}, waste_by_sub_type jsonb)",
        f"CREATE INDEX facts_student_sourced_time ON {s}.facts"
        " (student_sourced_id, event_time_utc)",
        f"CREATE INDEX facts_student_time ON {s}.facts (student_id, event_time_utc)",
        f"CREATE INDEX facts_email_time ON {s}.facts (email, event_time_utc)",
        f"CREATE INDEX facts_course ON {s}.facts (course_id, student_id)",
        f"ALTER TABLE {s}.daily_totals RENAME TO daily_totals_opaque",
        f"CREATE TABLE {s}.daily_totals (student_id text NOT NULL, date_utc date NOT NULL,"
        " subject text NOT NULL, app text NOT NULL, course_key text NOT NULL,"
        " student_sourced_id text, email text, course_id text, course_name text,"
        f" events bigint NOT NULL, {daily_metrics},"
        " waste_by_sub_type jsonb NOT NULL DEFAULT '{}',"
        " PRIMARY KEY (student_id, date_utc, subject, app, course_key))",
        f"CREATE INDEX daily_student_sourced_date ON {s}.daily_totals"
        " (student_sourced_id, date_utc)",
        f"CREATE INDEX daily_email_date ON {s}.daily_totals (email, date_utc)",
        f"CREATE INDEX daily_course ON {s}.daily_totals (course_id, student_id)",
    ]


async def _convert_daily_totals(conn: Conn, s: str) -> None:
    """Every opaque row, decoded exactly as the old release read it, as columns. Rows
    with a NULL value (a key created and never filled) were never totals."""
    converted = 0
    columns = ", ".join(DAILY_COLUMNS)
    async with conn.cursor(name="daily_totals_opaque") as source:
        await source.execute(
            f"SELECT key, value FROM {s}.daily_totals_opaque WHERE value IS NOT NULL"
        )
        while rows := await source.fetchmany(_CONVERT_CHUNK):
            try:
                batch = [daily_row(from_stored(decode_key(str(k)), bytes(v))) for k, v in rows]
            except (ValueError, KeyError, TypeError) as exc:
                raise StoreError(f"unreadable daily_totals row: {exc}", retriable=False) from exc
            copying = f"COPY {s}.daily_totals ({columns}) FROM STDIN"
            async with conn.cursor() as target, target.copy(copying) as copy:
                for row in batch:
                    await copy.write_row(row)
            converted += len(batch)
    await conn.execute(f"DROP TABLE {s}.daily_totals_opaque")
    logger.info("migrated %d daily totals rows to columns", converted)


async def _apply(conn: Conn, s: str, version: int) -> None:
    steps = _opaque_layout(s) if version == 1 else _relational_facts(s)
    for statement in steps:
        await conn.execute(statement)
    if version == 2:
        await _convert_daily_totals(conn, s)


async def _current(conn: Conn, s: str) -> int:
    """The version reached; a store of the releases before migrations is recorded as 1."""
    cursor = await conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL, to_regclass(%s) IS NOT NULL",
        (f"{s}.schema_migrations", f"{s}.counted_events"),
    )
    row = await cursor.fetchone()
    assert row is not None
    has_migrations, has_counted = row
    if not has_migrations:
        await conn.execute(
            f"CREATE TABLE {s}.schema_migrations (version int PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        if not has_counted:
            return 0
        await conn.execute(
            f"INSERT INTO {s}.schema_migrations (version, name) VALUES (1, %s)", (MIGRATIONS[1],)
        )
        logger.info("store written before migrations existed: recorded as version 1")
    cursor = await conn.execute(f"SELECT coalesce(max(version), 0) FROM {s}.schema_migrations")
    row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def _step(conn: Conn, s: str, target: int) -> int:
    """Apply migration `target` unless done; one transaction. Returns the version reached."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (s,))
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
        version = await _current(conn, s)
        check_known(version)
        if version < target:
            await _apply(conn, s, target)
            await conn.execute(
                f"INSERT INTO {s}.schema_migrations (version, name) VALUES (%s, %s)",
                (target, MIGRATIONS[target]),
            )
            logger.info("store %s migrated to version %d (%s)", s, target, MIGRATIONS[target])
            version = target
    return version


async def migrate_postgres(conn: Conn, schema: str) -> int:
    """Bring `schema` to LATEST_VERSION; returns the version reached. Raises StoreError
    (retriable=False) for a bad schema name or a store newer than this code."""
    if not SCHEMA_NAME.fullmatch(schema):
        raise StoreError(f"invalid schema name {schema!r}", retriable=False)
    version = 0
    for target in range(1, LATEST_VERSION + 1):
        version = await _step(conn, schema, target)
    return version
