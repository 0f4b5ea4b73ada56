"""SQLite migrations: each version in its own BEGIN IMMEDIATE transaction.

The write lock serializes processes that open one file at once; the version is read
again inside each transaction, so the second process finds the work done.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Final

from consumers.aggregator.columns import DAILY_COLUMNS, METRICS
from consumers.aggregator.folding import decode_key, from_stored
from consumers.aggregator.migrations.versions import LATEST_VERSION, MIGRATIONS, check_known
from consumers.aggregator.rows import daily_row
from consumers.aggregator.store import StoreError

logger = logging.getLogger(__name__)

_CONVERT_CHUNK: Final = 10_000

_MIGRATIONS_TABLE: Final = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)
"""
_NOW: Final = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

# Version 1, exactly as the releases before migrations created it.
_OPAQUE_LAYOUT: Final = """
CREATE TABLE IF NOT EXISTS counted_events (
    event_id TEXT PRIMARY KEY, digest BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS daily_totals (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS consumed_offsets (
    topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
    source TEXT NOT NULL, PRIMARY KEY (topic, partition)) WITHOUT ROWID;
"""

_FACT_METRICS: Final = ", ".join(f"{name} TEXT" for name in METRICS)
_DAILY_METRICS: Final = ", ".join(f"{name} TEXT NOT NULL DEFAULT '0'" for name in METRICS)
# Version 2. Exact decimals are TEXT (str(Decimal)); times are fixed-width UTC text.
_RELATIONAL_FACTS: Final = f"""
CREATE TABLE facts (
    event_id TEXT PRIMARY KEY, event_type TEXT NOT NULL, event_time TEXT NOT NULL,
    event_time_utc TEXT NOT NULL, date_utc TEXT NOT NULL, student_id TEXT NOT NULL,
    student_sourced_id TEXT, email TEXT, subject TEXT NOT NULL, app TEXT, course_id TEXT,
    course_name TEXT, activity_id TEXT, activity_name TEXT, {_FACT_METRICS},
    waste_by_sub_type TEXT);
CREATE INDEX facts_student_sourced_time ON facts (student_sourced_id, event_time_utc);
CREATE INDEX facts_student_time ON facts (student_id, event_time_utc);
CREATE INDEX facts_email_time ON facts (email, event_time_utc);
CREATE INDEX facts_course ON facts (course_id, student_id);
ALTER TABLE daily_totals RENAME TO daily_totals_opaque;
CREATE TABLE daily_totals (
    student_id TEXT NOT NULL, date_utc TEXT NOT NULL, subject TEXT NOT NULL,
    app TEXT NOT NULL, course_key TEXT NOT NULL, student_sourced_id TEXT, email TEXT,
    course_id TEXT, course_name TEXT, events INTEGER NOT NULL, {_DAILY_METRICS},
    waste_by_sub_type TEXT NOT NULL DEFAULT '{{}}',
    PRIMARY KEY (student_id, date_utc, subject, app, course_key)) WITHOUT ROWID;
CREATE INDEX daily_student_sourced_date ON daily_totals (student_sourced_id, date_utc);
CREATE INDEX daily_email_date ON daily_totals (email, date_utc);
CREATE INDEX daily_course ON daily_totals (course_id, student_id);
"""
INSERT_DAILY: Final = (
    f"INSERT INTO daily_totals ({', '.join(DAILY_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(DAILY_COLUMNS))})"
)


def _convert_daily_totals(conn: sqlite3.Connection) -> None:
    """Every opaque row, decoded exactly as the old release read it, as columns."""
    cursor = conn.execute("SELECT key, value FROM daily_totals_opaque")
    converted = 0
    while rows := cursor.fetchmany(_CONVERT_CHUNK):
        try:
            batch = [daily_row(from_stored(decode_key(key), value)) for key, value in rows]
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"unreadable daily_totals row: {exc}", retriable=False) from exc
        conn.executemany(INSERT_DAILY, batch)
        converted += len(batch)
    conn.execute("DROP TABLE daily_totals_opaque")
    logger.info("migrated %d daily totals rows to columns", converted)


def _relational_facts(conn: sqlite3.Connection) -> None:
    for statement in _RELATIONAL_FACTS.split(";"):
        if statement.strip():
            conn.execute(statement)
    _convert_daily_totals(conn)


def _opaque_layout(conn: sqlite3.Connection) -> None:
    for statement in _OPAQUE_LAYOUT.split(";"):
        if statement.strip():
            conn.execute(statement)


_STEPS: Final[dict[int, Callable[[sqlite3.Connection], None]]] = {
    1: _opaque_layout,
    2: _relational_facts,
}


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {str(name) for (name,) in rows}


def _current(conn: sqlite3.Connection) -> int:
    """The version reached; a store of the releases before migrations is recorded as 1."""
    tables = _tables(conn)
    if "schema_migrations" not in tables:
        conn.execute(_MIGRATIONS_TABLE)
        if "counted_events" not in tables:
            return 0
        conn.execute(f"INSERT INTO schema_migrations VALUES (1, ?, {_NOW})", (MIGRATIONS[1],))
        logger.info("store written before migrations existed: recorded as version 1")
    (version,) = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(version)


def _step(conn: sqlite3.Connection, target: int) -> int:
    """Apply migration `target` unless done; one transaction. Returns the version reached."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _current(conn)
        check_known(version)
        if version < target:
            _STEPS[target](conn)
            conn.execute(
                f"INSERT INTO schema_migrations VALUES (?, ?, {_NOW})", (target, MIGRATIONS[target])
            )
            logger.info("store migrated to version %d (%s)", target, MIGRATIONS[target])
            version = target
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return version


def migrate_sqlite(conn: sqlite3.Connection) -> int:
    """Bring the store on `conn` (not inside a transaction) to LATEST_VERSION; returns the
    version reached. Raises StoreError (retriable=False) for a store newer than this code."""
    if conn.in_transaction:
        raise StoreError("migrate_sqlite needs a connection outside a transaction", retriable=False)
    version = 0
    for target in sorted(_STEPS):
        version = _step(conn, target)
    return version


assert sorted(_STEPS) == sorted(MIGRATIONS)
assert max(_STEPS) == LATEST_VERSION
