"""Reading the aggregator's PostgreSQL schema: one connection, reconnected when lost."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any, Final

import psycopg

from consumers.aggregator.columns import METRICS
from consumers.analytics.answers import Days
from consumers.analytics.errors import StoreUnavailableError
from consumers.analytics.reader import TOTAL_COLUMNS, Student

_SCHEMA_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# The same fixed-width UTC text the SQLite store keeps, so answers are built one way.
_UTC_TEXT: Final = "to_char(event_time_utc AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"


class PostgresReader:
    def __init__(self, url: str, *, schema: str, timeout_s: float) -> None:
        if not _SCHEMA_NAME.fullmatch(schema):
            raise ValueError(f"invalid schema name {schema!r}")
        self.url = url
        self.schema = schema
        self._timeout_s = timeout_s
        self._conn: psycopg.AsyncConnection[tuple[Any, ...]] | None = None
        # One query at a time on the one connection (psycopg serializes anyway).
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Connected on first use: the service starts while PostgreSQL is down."""

    async def stop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    async def _query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        async with self._lock:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = await psycopg.AsyncConnection.connect(
                        self.url,
                        autocommit=True,
                        connect_timeout=max(1, int(self._timeout_s)),
                        options=f"-c statement_timeout={int(self._timeout_s * 1000)}",
                    )
                cursor = await self._conn.execute(sql, params)
                return await cursor.fetchall()
            except psycopg.Error as exc:
                await self.stop()
                raise StoreUnavailableError(f"postgresql: {exc}") from exc

    async def ping(self) -> None:
        await self._query("SELECT 1", ())

    async def facts(
        self,
        student: Student,
        columns: Sequence[str],
        start_utc: str,
        end_utc: str,
        course_id: str | None = None,
    ) -> list[tuple[Any, ...]]:
        selected = ", ".join(_UTC_TEXT if c == "event_time_utc" else c for c in columns)
        sql = (
            f"SELECT {selected} FROM {self.schema}.facts WHERE {student.column} = %s"
            " AND event_time_utc >= %s::timestamptz AND event_time_utc < %s::timestamptz"
        )
        params: list[str] = [student.value, start_utc, end_utc]
        if course_id is not None:
            sql += " AND course_id = %s"
            params.append(course_id)
        return await self._query(sql + " ORDER BY event_time_utc", params)

    async def activity(self, student: Student, days: Days) -> list[tuple[Any, ...]]:
        """Grouped and summed by PostgreSQL (numeric sums are exact); the local dates
        are cut at the bounds computed in Python, as for SQLite."""
        sums = ", ".join(f"sum({column})" for column in METRICS)
        day, params = days.day_case("%s::timestamptz", "%s")
        sql = (
            f"SELECT {day}, subject, coalesce(app, ''), {sums} FROM {self.schema}.facts"
            f" WHERE {student.column} = %s"
            " AND event_time_utc >= %s::timestamptz AND event_time_utc < %s::timestamptz"
            " GROUP BY 1, 2, 3"
        )
        bounds = (student.value, days.bounds[0], days.bounds[-1])
        return await self._query(sql, (*params, *bounds))

    async def course_totals(self, student: Student, course_id: str) -> list[tuple[Any, ...]]:
        sql = (
            f"SELECT {', '.join(TOTAL_COLUMNS)} FROM {self.schema}.daily_totals"
            f" WHERE {student.column} = %s AND course_id = %s"
        )
        return await self._query(sql, (student.value, course_id))
