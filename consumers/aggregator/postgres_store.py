"""The PostgreSQL store: shared by every aggregator of a consumer group (production).

Safe under concurrency, not just under the happy rebalance: ids are claimed with
INSERT .. ON CONFLICT DO NOTHING, so when two processes hold the same events (a
zombie still finishing a revoked batch) the second blocks on the first's row locks
and then sees those ids as already counted. Rows are touched in sorted order to keep
two writers from deadlocking.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import orjson
import psycopg

from consumers.aggregator import postgres_sql as sql
from consumers.aggregator.columns import DAILY_COLUMNS
from consumers.aggregator.facts import Fact
from consumers.aggregator.folding import DailyKey, Totals
from consumers.aggregator.migrations import migrate_postgres
from consumers.aggregator.migrations.postgres import SCHEMA_NAME
from consumers.aggregator.rows import daily_json, fact_row, totals_of_row
from consumers.aggregator.store import StoreError

logger = logging.getLogger(__name__)


class PostgresTransaction:
    def __init__(self, conn: psycopg.AsyncConnection[tuple[Any, ...]], schema: str) -> None:
        self._conn = conn
        self._s = schema

    async def claim(self, events: Sequence[tuple[str, bytes]]) -> dict[str, bytes]:
        ordered = sorted(events)
        rows = orjson.dumps([(event_id, event_digest.hex()) for event_id, event_digest in ordered])
        cursor = await self._conn.execute(sql.claim(self._s), (rows.decode(),))
        row = await cursor.fetchone()
        already: list[str] = orjson.loads(row[0]) if row else []
        if not already:
            return {}
        cursor = await self._conn.execute(sql.known_digests(self._s), (already,))
        return {str(event_id): bytes(stored) for event_id, stored in await cursor.fetchall()}

    async def add_facts(self, facts: Sequence[Fact]) -> None:
        # COPY: the fastest way in; every value is text the server parses (exact numeric,
        # timestamptz from the fixed-width UTC text, jsonb).
        async with self._conn.cursor() as cursor, cursor.copy(sql.copy_facts(self._s)) as copy:
            for fact in facts:
                await copy.write_row(fact_row(fact))

    async def add_totals(self, deltas: Mapping[DailyKey, Totals]) -> list[Totals]:
        rows = orjson.dumps([daily_json(deltas[key]) for key in sorted(deltas)])
        cursor = await self._conn.execute(sql.upsert_daily(self._s), (rows.decode(),))
        return [totals_of_row(row) for row in await cursor.fetchall()]

    async def save_offsets(self, topic: str, offsets: Mapping[int, int], source: str) -> None:
        partitions = sorted(offsets)
        await self._conn.execute(
            sql.save_offsets(self._s),
            (topic, source, partitions, [offsets[p] for p in partitions]),
        )


class PostgresStore:
    def __init__(self, url: str, *, schema: str = "aggregator") -> None:
        if not SCHEMA_NAME.fullmatch(schema):
            raise StoreError(f"invalid schema name {schema!r}", retriable=False)
        self.url = url
        self.schema = schema
        self._conn: psycopg.AsyncConnection[tuple[Any, ...]] | None = None

    def _connection(self) -> psycopg.AsyncConnection[tuple[Any, ...]]:
        if self._conn is None:
            raise StoreError("store is not started", retriable=False)
        return self._conn

    async def start(self) -> None:
        if self._conn is not None:
            return
        try:
            conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"postgresql: cannot connect: {exc}") from exc
        try:
            await migrate_postgres(conn, self.schema)
        except BaseException as exc:
            await conn.close()
            if isinstance(exc, psycopg.Error):
                raise StoreError(f"postgresql: cannot prepare the schema: {exc}") from exc
            raise
        self._conn = conn
        logger.info("postgresql store, schema %s", self.schema)

    async def stop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    async def __aenter__(self) -> PostgresStore:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresTransaction]:
        conn = self._connection()
        try:
            async with conn.transaction():
                yield PostgresTransaction(conn, self.schema)
        except psycopg.Error as exc:
            raise StoreError(f"postgresql: {exc}") from exc

    async def ping(self) -> None:
        try:
            await self._connection().execute("SELECT 1")
        except psycopg.Error as exc:
            raise StoreError(f"postgresql: {exc}") from exc

    async def load_offsets(self, topic: str) -> dict[int, tuple[int, str]]:
        cursor = await self._connection().execute(
            f"SELECT partition, next_offset, source FROM {self.schema}.consumed_offsets"
            " WHERE topic = %s",
            (topic,),
        )
        return {int(p): (int(n), str(s)) for p, n, s in await cursor.fetchall()}

    async def all_totals(self) -> list[Totals]:
        cursor = await self._connection().execute(
            f"SELECT {', '.join(DAILY_COLUMNS)} FROM {self.schema}.daily_totals"
        )
        return [totals_of_row(row) for row in await cursor.fetchall()]
