"""Reading the aggregator's SQLite file, read-only, while it writes (WAL).

One connection on one worker thread, opened on first use: the service may start
before the aggregator has created the file, and answers 503 until it exists.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from consumers.analytics.answers import Days
from consumers.analytics.errors import StoreUnavailableError
from consumers.analytics.reader import TOTAL_COLUMNS, Student
from consumers.analytics.sqlite_sums import activity_query, exact_sums

T = TypeVar("T")


class SqliteReader:
    def __init__(self, path: str, *, timeout_s: float) -> None:
        self.path = path
        self._timeout_s = timeout_s
        self._conn: sqlite3.Connection | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analytics-sqlite")

    async def start(self) -> None:
        """Nothing to do: the file is opened by the first query."""

    async def stop(self) -> None:
        await self._call(self._close)
        self._executor.shutdown(wait=True)

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            if not Path(self.path).is_file():
                raise StoreUnavailableError(f"no store at {self.path} (is the aggregator running?)")
            uri = f"file:{quote(str(Path(self.path).resolve()))}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout={int(self._timeout_s * 1000)}")
            self._conn = conn
        return self._conn

    async def _call(self, work: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, work)
        except sqlite3.Error as exc:
            await loop.run_in_executor(self._executor, self._close)
            raise StoreUnavailableError(f"sqlite: {exc}") from exc

    async def ping(self) -> None:
        await self._call(lambda: self._connection().execute("SELECT 1").fetchall())

    async def facts(
        self,
        student: Student,
        columns: Sequence[str],
        start_utc: str,
        end_utc: str,
        course_id: str | None = None,
    ) -> list[tuple[Any, ...]]:
        sql = (
            f"SELECT {', '.join(columns)} FROM facts WHERE {student.column} = ?"
            " AND event_time_utc >= ? AND event_time_utc < ?"
        )
        params: list[str] = [student.value, start_utc, end_utc]
        if course_id is not None:
            sql += " AND course_id = ?"
            params.append(course_id)
        sql += " ORDER BY event_time_utc"
        return await self._call(lambda: self._connection().execute(sql, params).fetchall())

    async def activity(self, student: Student, days: Days) -> list[tuple[Any, ...]]:
        sql, params = activity_query(student, days)
        return await self._call(
            lambda: [exact_sums(row) for row in self._connection().execute(sql, params)]
        )

    async def course_totals(self, student: Student, course_id: str) -> list[tuple[Any, ...]]:
        sql = (
            f"SELECT {', '.join(TOTAL_COLUMNS)} FROM daily_totals"
            f" WHERE {student.column} = ? AND course_id = ?"
        )
        return await self._call(
            lambda: self._connection().execute(sql, (student.value, course_id)).fetchall()
        )
