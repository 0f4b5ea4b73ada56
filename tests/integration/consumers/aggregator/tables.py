"""Plain SQL against either store, the way a data analyst (or an old release) sees it.

`{t}` in a statement is the table prefix (`schema.` on PostgreSQL, nothing on SQLite);
parameters are written `?` and become `%s` for psycopg.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import psycopg

from tests.integration.consumers.aggregator.conftest import StoreConfig


def sqlite_path(config: StoreConfig) -> str:
    return config.url.removeprefix("sqlite://")


def execute(config: StoreConfig, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """One statement in its own transaction; the rows it returns (if any)."""
    if config.kind == "sqlite":
        conn = sqlite3.connect(sqlite_path(config), isolation_level=None)
        try:
            return conn.execute(sql.format(t=""), params).fetchall()
        finally:
            conn.close()
    with psycopg.connect(config.url, autocommit=True) as pg:
        cursor = pg.execute(sql.format(t=f"{config.schema}.").replace("?", "%s"), params)
        return cursor.fetchall() if cursor.description else []


def execute_many(config: StoreConfig, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if config.kind == "sqlite":
        conn = sqlite3.connect(sqlite_path(config), isolation_level=None)
        try:
            conn.executemany(sql.format(t=""), rows)
        finally:
            conn.close()
        return
    with psycopg.connect(config.url, autocommit=True) as pg, pg.cursor() as cursor:
        cursor.executemany(sql.format(t=f"{config.schema}.").replace("?", "%s"), rows)
