"""The SQLite store: one file, one writer process (the embedded default of `up`).

stdlib sqlite3 on one dedicated thread, so the event loop keeps heart-beating while
the database works. WAL with synchronous=NORMAL survives a killed process (the
durability this store promises); a power cut may lose the last batches, but totals
and offsets roll back together, so they are re-read and re-counted, never skipped.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final, TypeVar

import orjson

from consumers.aggregator.columns import DAILY_COLUMNS, DAILY_KEY_COLUMNS, FACT_COLUMNS
from consumers.aggregator.facts import Fact
from consumers.aggregator.folding import DailyKey, Totals, add
from consumers.aggregator.migrations import migrate_sqlite
from consumers.aggregator.rows import daily_row, fact_row, totals_of_row
from consumers.aggregator.store import StoreError

logger = logging.getLogger(__name__)

T = TypeVar("T")

WAL_SWITCH_TRIES: Final = 100
WAL_SWITCH_PAUSE_S: Final = 0.05
CACHE_KIB: Final = 65_536
WAL_CHECKPOINT_PAGES: Final = 10_000

# Same broker: offsets only move forward. New broker (source): its offsets start over.
_SAVE_OFFSET: Final = """
INSERT INTO consumed_offsets (topic, partition, next_offset, source) VALUES (?, ?, ?, ?)
ON CONFLICT (topic, partition) DO UPDATE SET
    next_offset = CASE WHEN source = excluded.source
        THEN max(next_offset, excluded.next_offset) ELSE excluded.next_offset END,
    source = excluded.source
"""
_SELECT_DAILY: Final = (
    f"SELECT {', '.join(DAILY_COLUMNS)} FROM daily_totals"
    f" WHERE ({', '.join(DAILY_KEY_COLUMNS)}) IN"
    " (SELECT value->>0, value->>1, value->>2, value->>3, value->>4 FROM json_each(?))"
)
# Whole rows: the new totals are computed in Python, where decimals are exact.
_UPSERT_DAILY: Final = (
    f"INSERT INTO daily_totals ({', '.join(DAILY_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(DAILY_COLUMNS))})"
    f" ON CONFLICT ({', '.join(DAILY_KEY_COLUMNS)}) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in DAILY_COLUMNS if c not in DAILY_KEY_COLUMNS)
)
_INSERT_FACT: Final = (
    f"INSERT INTO facts ({', '.join(FACT_COLUMNS)}) VALUES ({', '.join('?' * len(FACT_COLUMNS))})"
)


class SqliteTransaction:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    async def claim(self, events: Sequence[tuple[str, bytes]]) -> dict[str, bytes]:
        return await self._store.call(self._claim, events)

    def _claim(
        self, conn: sqlite3.Connection, events: Sequence[tuple[str, bytes]]
    ) -> dict[str, bytes]:
        # One writer (BEGIN IMMEDIATE), so reading first and inserting the rest is race-free.
        ids = orjson.dumps([event_id for event_id, _ in events])
        rows = conn.execute(
            "SELECT event_id, digest FROM counted_events"
            " WHERE event_id IN (SELECT value FROM json_each(?))",
            (ids,),
        ).fetchall()
        known: dict[str, bytes] = {event_id: bytes(stored) for event_id, stored in rows}
        conn.executemany(
            "INSERT INTO counted_events (event_id, digest) VALUES (?, ?)",
            [pair for pair in events if pair[0] not in known],
        )
        return known

    async def add_facts(self, facts: Sequence[Fact]) -> None:
        rows = [fact_row(fact) for fact in facts]
        await self._store.call(lambda conn: conn.executemany(_INSERT_FACT, rows))

    async def add_totals(self, deltas: Mapping[DailyKey, Totals]) -> list[Totals]:
        return await self._store.call(self._add_totals, deltas)

    def _add_totals(
        self, conn: sqlite3.Connection, deltas: Mapping[DailyKey, Totals]
    ) -> list[Totals]:
        rows = conn.execute(_SELECT_DAILY, (orjson.dumps(list(deltas)),)).fetchall()
        current = {totals.key: totals for totals in map(totals_of_row, rows)}
        updated: list[Totals] = []
        for key, delta in deltas.items():
            base = current.get(key)
            updated.append(add(Totals(key=key) if base is None else base, delta))
        conn.executemany(_UPSERT_DAILY, [daily_row(totals) for totals in updated])
        return updated

    async def save_offsets(self, topic: str, offsets: Mapping[int, int], source: str) -> None:
        rows = [(topic, partition, offset, source) for partition, offset in offsets.items()]
        await self._store.call(lambda conn: conn.executemany(_SAVE_OFFSET, rows))


class SqliteStore:
    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        # One thread owns the connection: sqlite3 objects must not hop threads mid-use.
        self._executor: ThreadPoolExecutor | None = None

    async def call(self, work: Callable[..., T], *args: Any) -> T:
        if self._conn is None or self._executor is None:
            raise StoreError("store is not started", retriable=False)
        conn = self._conn
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, lambda: work(conn, *args))
        except sqlite3.Error as exc:
            raise StoreError(f"sqlite: {exc}") from exc

    async def start(self) -> None:
        if self._conn is not None:
            return
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")
        try:
            self._conn = await asyncio.get_running_loop().run_in_executor(executor, self._connect)
        except sqlite3.Error as exc:
            raise StoreError(f"sqlite: {exc}") from exc
        finally:
            if self._conn is None:
                executor.shutdown(wait=True)
        self._executor = executor
        logger.info("sqlite store at %s", self.path)

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, one per batch.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout=10000")
            _switch_to_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            # Every batch touches index pages all over `facts`: keep them in memory, and
            # checkpoint the WAL less often (each checkpoint is an fsync).
            conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            # On this thread, before any batch: the store's tables at LATEST_VERSION.
            migrate_sqlite(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    async def stop(self) -> None:
        conn, executor = self._conn, self._executor
        self._conn = self._executor = None
        if conn is not None and executor is not None:
            await asyncio.get_running_loop().run_in_executor(executor, conn.close)
        if executor is not None:
            executor.shutdown(wait=True)

    async def __aenter__(self) -> SqliteStore:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteTransaction]:
        await self.call(lambda conn: conn.execute("BEGIN IMMEDIATE"))
        try:
            yield SqliteTransaction(self)
        except BaseException:
            await self.call(lambda conn: conn.execute("ROLLBACK"))
            raise
        await self.call(lambda conn: conn.execute("COMMIT"))

    async def ping(self) -> None:
        # On the store's one thread: a batch stuck there makes the ping wait too.
        await self.call(lambda conn: conn.execute("SELECT 1").fetchall())

    async def load_offsets(self, topic: str) -> dict[int, tuple[int, str]]:
        rows = await self.call(
            lambda conn: conn.execute(
                "SELECT partition, next_offset, source FROM consumed_offsets WHERE topic = ?",
                (topic,),
            ).fetchall()
        )
        return {partition: (offset, source) for partition, offset, source in rows}

    async def all_totals(self) -> list[Totals]:
        rows = await self.call(
            lambda conn: conn.execute(
                f"SELECT {', '.join(DAILY_COLUMNS)} FROM daily_totals"
            ).fetchall()
        )
        return [totals_of_row(row) for row in rows]


def _switch_to_wal(conn: sqlite3.Connection) -> None:
    """Two processes opening a new file at once: switching the journal mode needs the
    lock exclusively and SQLite answers "locked" at once instead of waiting (the busy
    timeout does not apply to it), so retry for a while. Once WAL, the file stays WAL."""
    for _ in range(WAL_SWITCH_TRIES - 1):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(WAL_SWITCH_PAUSE_S)
    conn.execute("PRAGMA journal_mode=WAL")
