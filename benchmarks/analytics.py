"""How fast does /analytics/activity answer a one-month query on a big store?

Builds (once; cached) a store of `--rows` per-event facts: `--students` students with a
year of history each (10M rows = 100 students x 100k facts), through the aggregator's
own migrations, then bulk-loaded (SQLite: executemany with the indexes built after;
PostgreSQL: COPY). Serves the real app under uvicorn on 127.0.0.1, asks one student's
March 2026 in America/New_York `--queries` times over HTTP, checks the answer against a
Decimal sum computed here with zoneinfo (another path than the service's), and prints
p50/p95/p99 per store.

    .venv/bin/python benchmarks/analytics.py [--rows 10000000] [--stores sqlite,postgresql]
        [--queries 200] [--rebuild]

PostgreSQL from CALIPER_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sqlite3
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import httpx
import psycopg
from pydantic import SecretStr

from consumers.aggregator.columns import FACT_COLUMNS
from consumers.aggregator.migrations import migrate_postgres, migrate_sqlite
from consumers.analytics.app import create_app
from consumers.analytics.reader_factory import open_reader
from consumers.analytics.server import AnalyticsServer
from consumers.analytics.settings import AnalyticsSettings

POSTGRES_URL: Final = os.environ.get(
    "CALIPER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
CACHE: Final = Path("/tmp/caliper-analytics-bench")
START: Final = datetime(2025, 12, 1, tzinfo=UTC)
YEAR_S: Final = 365 * 86_400
ZONE: Final = "America/New_York"
MONTH: Final = (date(2026, 3, 1), date(2026, 3, 31))  # holds the DST change of 03-08
XP: Final = ("1", "2.5", "-3", "0.1", "10")


def student(s: int) -> str:
    return f"https://api.example/ims/oneroster/rostering/v1p2/users/stu-{s}"


def rows_of(s: int, per_student: int) -> Iterator[tuple[Any, ...]]:
    """One student's year: alternating activity and time-spent facts, evenly spaced."""
    step = YEAR_S / per_student
    actor, sourced, email = student(s), f"stu-{s}", f"stu-{s}@school.example"
    for i in range(per_student):
        moment = START + timedelta(seconds=i * step)
        utc = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        activity = i % 2 == 0
        metrics: list[str | None] = [None] * 9
        if activity:
            metrics[0] = XP[i % len(XP)]
            metrics[1], metrics[2] = "5", str(i % 6)
        else:
            metrics[4], metrics[6] = str(60 + i % 300), "30"
        yield (
            f"urn:uuid:{s:08x}-0000-4000-8000-{i:012x}",
            "ActivityEvent" if activity else "TimeSpentEvent",
            utc, utc, utc[:10], actor, sourced, email,
            ("Math", "Reading", "Science")[i % 3], ("App A", "App B")[i % 2],
            f"https://app.example/courses/c{s % 5}", "Course",
            f"https://app.example/act/{i % 50}", "Lesson", *metrics,
            '{"break":"30"}' if not activity else None,
        )  # fmt: skip


def expected_xp(per_student: int) -> Decimal:
    """stu-0's March XP in New York, each row's local date by zoneinfo."""
    zone, total = ZoneInfo(ZONE), Decimal(0)
    for row in rows_of(0, per_student):
        moment = datetime.fromisoformat(row[3].replace("Z", "+00:00"))
        if row[14] is not None and MONTH[0] <= moment.astimezone(zone).date() <= MONTH[1]:
            total += Decimal(row[14])
    return total


def build_sqlite(path: Path, students: int, per_student: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    migrate_sqlite(conn)
    # Bulk load without the indexes, then build them (the migration's own statements).
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'facts'"
        " AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    insert = f"INSERT INTO facts VALUES ({', '.join('?' * len(FACT_COLUMNS))})"
    conn.execute("PRAGMA synchronous=OFF")
    for s in range(students):
        conn.execute("BEGIN")
        conn.executemany(insert, rows_of(s, per_student))
        conn.execute("COMMIT")
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("ANALYZE")
    conn.close()


async def build_postgres(schema: str, students: int, per_student: int) -> None:
    async with await psycopg.AsyncConnection.connect(POSTGRES_URL, autocommit=True) as conn:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await migrate_postgres(conn, schema)
        cursor = await conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s"
            " AND tablename = 'facts' AND indexname NOT LIKE '%%pkey'",
            (schema,),
        )
        indexes = await cursor.fetchall()
        for name, _ in indexes:
            await conn.execute(f"DROP INDEX {schema}.{name}")
        columns = ", ".join(FACT_COLUMNS)
        for s in range(students):
            async with (
                conn.cursor() as cur,
                cur.copy(f"COPY {schema}.facts ({columns}) FROM STDIN") as copy,
            ):
                for row in rows_of(s, per_student):
                    await copy.write_row(row)
        for _, sql in indexes:
            await conn.execute(sql)
        await conn.execute(f"ANALYZE {schema}.facts")


def sqlite_count(path: Path) -> int:
    if not path.is_file():
        return -1
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM facts").fetchone()[0])
    except sqlite3.Error:
        return -1
    finally:
        conn.close()


async def postgres_count(schema: str) -> int:
    async with await psycopg.AsyncConnection.connect(POSTGRES_URL, autocommit=True) as conn:
        try:
            cursor = await conn.execute(f"SELECT count(*) FROM {schema}.facts")
        except psycopg.Error:
            return -1
        row = await cursor.fetchone()
        return int(row[0]) if row else -1


async def measure(url: str, schema: str, queries: int, expected: Decimal) -> list[float]:
    settings = AnalyticsSettings(store_url=SecretStr(url), store_schema=schema)
    reader = open_reader(url, schema=schema, timeout_s=30.0)
    app = create_app(reader=reader, settings=settings, authorize=None)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = AnalyticsServer(app, sock, shutdown_timeout_s=2.0)
    await server.start()
    query = {"studentId": "stu-0", "startDate": MONTH[0].isoformat()}
    query |= {"endDate": MONTH[1].isoformat(), "timezone": ZONE}
    times: list[float] = []
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30.0) as client:
            first = (await client.get("/analytics/activity", params=query)).json()
            got = sum(
                (Decimal(str(s["activityMetrics"]["xpEarned"])) for d in first["facts"].values()
                 for s in d.values()),
                Decimal(0),
            )  # fmt: skip
            # JSON carries doubles: compare at the precision a double keeps.
            assert abs(got - expected) < Decimal("1e-6"), (got, expected)
            for _ in range(queries):
                started = time.perf_counter()
                answer = await client.get("/analytics/activity", params=query)
                times.append(time.perf_counter() - started)
                assert answer.status_code == 200
    finally:
        await server.stop()
    return times


def report(store: str, rows: int, times: list[float]) -> None:
    ms = sorted(t * 1000 for t in times)
    pct = statistics.quantiles(ms, n=100)
    print(
        f"{store:<11} rows={rows:>10,} queries={len(ms)}  p50={pct[49]:.1f} ms"
        f"  p95={pct[94]:.1f} ms  p99={pct[98]:.1f} ms  max={ms[-1]:.1f} ms", flush=True
    )  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    per_student = args.rows // args.students
    rows = per_student * args.students
    expected = expected_xp(per_student)
    print(f"{args.students} students x {per_student:,} facts; stu-0 March XP {expected}")
    for store in args.stores.split(","):
        started = time.perf_counter()
        if store == "sqlite":
            path = CACHE / f"facts-{rows}.sqlite3"
            if args.rebuild or sqlite_count(path) != rows:
                build_sqlite(path, args.students, per_student)
            url, schema = f"sqlite://{path}", "aggregator"
        else:
            schema = f"bench_analytics_{rows}"
            if args.rebuild or await postgres_count(schema) != rows:
                await build_postgres(schema, args.students, per_student)
            url = POSTGRES_URL
        print(f"{store}: store ready in {time.perf_counter() - started:.0f} s", flush=True)
        report(store, rows, await measure(url, schema, args.queries, expected))


if __name__ == "__main__":
    asyncio.run(main())
