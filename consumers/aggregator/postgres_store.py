"""The PostgreSQL store: shared by every aggregator of a consumer group (production).

Safe under concurrency, not just under the happy rebalance: ids are claimed with
INSERT .. ON CONFLICT DO NOTHING, so when two processes hold the same events (a
zombie still finishing a revoked batch) the second blocks on the first's row locks
and then sees those ids as already counted. Rows are touched in sorted order to keep
two writers from deadlocking.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Final

import psycopg

from consumers.aggregator.folding import (
    DailyKey,
    Totals,
    add,
    decode_key,
    encode_key,
    from_stored,
    to_stored,
)
from consumers.aggregator.store import StoreError

logger = logging.getLogger(__name__)

_SCHEMA_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PostgresTransaction:
    def __init__(self, conn: psycopg.AsyncConnection[tuple[Any, ...]], schema: str) -> None:
        self._conn = conn
        self._s = schema

    async def claim(self, events: Sequence[tuple[str, bytes]]) -> dict[str, bytes]:
        ordered = sorted(events)
        ids = [event_id for event_id, _ in ordered]
        cursor = await self._conn.execute(
            f"INSERT INTO {self._s}.counted_events (event_id, digest)"
            " SELECT * FROM unnest(%s::text[], %s::bytea[]) ON CONFLICT DO NOTHING"
            " RETURNING event_id",
            (ids, [event_digest for _, event_digest in ordered]),
        )
        inserted = {str(row[0]) for row in await cursor.fetchall()}
        if len(inserted) == len(ids):
            return {}
        # A new statement: under READ COMMITTED it sees what a concurrent writer committed.
        cursor = await self._conn.execute(
            f"SELECT event_id, digest FROM {self._s}.counted_events WHERE event_id = ANY(%s)",
            ([event_id for event_id in ids if event_id not in inserted],),
        )
        return {str(event_id): bytes(stored) for event_id, stored in await cursor.fetchall()}

    async def add_totals(self, deltas: Mapping[DailyKey, Totals]) -> list[Totals]:
        encoded = {encode_key(key).decode(): key for key in deltas}
        keys = sorted(encoded)
        # Create missing rows first so that FOR UPDATE locks every key we are about to
        # change: read-modify-write is then safe against a concurrent writer.
        await self._conn.execute(
            f"INSERT INTO {self._s}.daily_totals (key, value)"
            " SELECT unnest(%s::text[]), NULL ON CONFLICT DO NOTHING",
            (keys,),
        )
        cursor = await self._conn.execute(
            f"SELECT key, value FROM {self._s}.daily_totals WHERE key = ANY(%s)"
            " ORDER BY key FOR UPDATE",
            (keys,),
        )
        updated: list[Totals] = []
        for raw, stored in await cursor.fetchall():
            key = encoded[str(raw)]
            base = Totals(key=key) if stored is None else from_stored(key, bytes(stored))
            updated.append(add(base, deltas[key]))
        await self._conn.execute(
            f"UPDATE {self._s}.daily_totals AS t SET value = u.value"
            " FROM unnest(%s::text[], %s::bytea[]) AS u(key, value) WHERE t.key = u.key",
            (
                [encode_key(totals.key).decode() for totals in updated],
                [to_stored(totals) for totals in updated],
            ),
        )
        return updated

    async def save_offsets(self, topic: str, offsets: Mapping[int, int], source: str) -> None:
        partitions = sorted(offsets)
        # Same broker: offsets only move forward. New broker (source): they start over.
        await self._conn.execute(
            f"INSERT INTO {self._s}.consumed_offsets AS o (topic, partition, next_offset, source)"
            " SELECT %s, p, n, %s FROM unnest(%s::int[], %s::bigint[]) AS u(p, n)"
            " ON CONFLICT (topic, partition) DO UPDATE SET"
            " next_offset = CASE WHEN o.source = excluded.source"
            " THEN greatest(o.next_offset, excluded.next_offset) ELSE excluded.next_offset END,"
            " source = excluded.source",
            (topic, source, partitions, [offsets[p] for p in partitions]),
        )


class PostgresStore:
    def __init__(self, url: str, *, schema: str = "aggregator") -> None:
        if not _SCHEMA_NAME.fullmatch(schema):
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
        s = self.schema
        async with conn.transaction():
            # Serialize schema creation between processes starting together.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (s,))
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {s}.counted_events"
                " (event_id text PRIMARY KEY, digest bytea NOT NULL)"
            )
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {s}.daily_totals (key text PRIMARY KEY, value bytea)"
            )
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {s}.consumed_offsets (topic text NOT NULL,"
                " partition int NOT NULL, next_offset bigint NOT NULL, source text NOT NULL,"
                " PRIMARY KEY (topic, partition))"
            )
        self._conn = conn
        logger.info("postgresql store, schema %s", s)

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
            f"SELECT key, value FROM {self.schema}.daily_totals WHERE value IS NOT NULL"
        )
        return [from_stored(decode_key(str(k)), bytes(v)) for k, v in await cursor.fetchall()]
