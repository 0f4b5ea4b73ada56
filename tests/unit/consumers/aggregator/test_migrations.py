"""SQLite migrations (a file, no network): versions, the layout of schema.md, refusals,
and a failed migration that leaves the store as it was. Both stores, old layout and
real events: tests/integration/consumers/aggregator/test_migration.py."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import orjson
import pytest

from consumers.aggregator.columns import DAILY_COLUMNS, FACT_COLUMNS
from consumers.aggregator.migrations import LATEST_VERSION, MIGRATIONS, migrate_sqlite
from consumers.aggregator.store import StoreError

INDEXES = {
    "facts_student_sourced_time": ("facts", ["student_sourced_id", "event_time_utc"]),
    "facts_student_time": ("facts", ["student_id", "event_time_utc"]),
    "facts_email_time": ("facts", ["email", "event_time_utc"]),
    "facts_course": ("facts", ["course_id", "student_id"]),
    "daily_student_sourced_date": ("daily_totals", ["student_sourced_id", "date_utc"]),
    "daily_email_date": ("daily_totals", ["email", "date_utc"]),
    "daily_course": ("daily_totals", ["course_id", "student_id"]),
}
OLD_LAYOUT = """
CREATE TABLE counted_events (event_id TEXT PRIMARY KEY, digest BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE daily_totals (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
"""


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def test_a_new_store_gets_every_table_column_and_index(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    assert migrate_sqlite(conn) == LATEST_VERSION == max(MIGRATIONS)
    assert columns(conn, "facts") == list(FACT_COLUMNS)
    assert columns(conn, "daily_totals") == list(DAILY_COLUMNS)
    assert columns(conn, "counted_events") == ["event_id", "digest"]
    assert columns(conn, "consumed_offsets") == ["topic", "partition", "next_offset", "source"]
    for name, (table, indexed) in INDEXES.items():
        info = conn.execute(f"PRAGMA index_info({name})").fetchall()
        assert [row[2] for row in info] == indexed, name
        (owner,) = conn.execute("SELECT tbl_name FROM sqlite_master WHERE name = ?", (name,))
        assert owner == (table,)
    assert conn.execute("SELECT version, name FROM schema_migrations").fetchall() == list(
        MIGRATIONS.items()
    )


def test_defaults_of_a_daily_row_are_zero_decimal_text(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    migrate_sqlite(conn)
    conn.execute(
        "INSERT INTO daily_totals (student_id, date_utc, subject, app, course_key, events)"
        " VALUES ('s', '2026-02-10', 'Math', '', '', 1)"
    )
    row = conn.execute("SELECT xp_earned, waste_by_sub_type, typeof(xp_earned) FROM daily_totals")
    assert row.fetchone() == ("0", "{}", "text")


def test_migrating_again_changes_nothing(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    migrate_sqlite(conn)
    before = conn.execute("SELECT * FROM schema_migrations").fetchall()
    schema = conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    assert migrate_sqlite(connect(tmp_path / "s.db")) == LATEST_VERSION
    assert conn.execute("SELECT * FROM schema_migrations").fetchall() == before
    assert conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema


def test_two_processes_starting_together_migrate_once(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    conn.executescript(OLD_LAYOUT)
    conn.close()
    results: list[int | Exception] = []

    def start() -> None:
        other = connect(tmp_path / "s.db")
        other.execute("PRAGMA busy_timeout=10000")
        try:
            results.append(migrate_sqlite(other))
        except Exception as exc:  # reported by the assertion below
            results.append(exc)
        finally:
            other.close()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == [LATEST_VERSION] * 4
    versions = connect(tmp_path / "s.db").execute("SELECT version FROM schema_migrations")
    assert versions.fetchall() == [(1,), (2,)]


def test_a_newer_store_is_refused_and_left_alone(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    migrate_sqlite(conn)
    conn.execute("INSERT INTO schema_migrations VALUES (?, 'future', 'now')", (LATEST_VERSION + 1,))
    with pytest.raises(StoreError, match="newer than this release") as info:
        migrate_sqlite(conn)
    assert info.value.retriable is False
    assert not conn.in_transaction


def test_an_unreadable_old_row_rolls_the_migration_back(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    conn.executescript(OLD_LAYOUT)
    good = orjson.dumps({"events": 1, "metrics": {}, "wasteBySubType": {}, "studentSourcedId": None,
                         "email": None, "courseId": None, "courseName": None})  # fmt: skip
    conn.execute('INSERT INTO daily_totals VALUES (\'["s","d","Math","",""]\', ?)', (good,))
    conn.execute("INSERT INTO daily_totals VALUES ('not a key', ?)", (good,))
    with pytest.raises(StoreError, match="unreadable daily_totals row") as info:
        migrate_sqlite(conn)
    assert info.value.retriable is False
    # Version 1 recorded, version 2 rolled back: the opaque table is whole, no facts table.
    assert conn.execute("SELECT version FROM schema_migrations").fetchall() == [(1,)]
    assert columns(conn, "daily_totals") == ["key", "value"]
    assert conn.execute("SELECT count(*) FROM daily_totals").fetchone() == (2,)
    assert columns(conn, "facts") == []


def test_a_connection_inside_a_transaction_is_refused(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db")
    conn.execute("BEGIN")
    with pytest.raises(StoreError, match="outside a transaction"):
        migrate_sqlite(conn)
