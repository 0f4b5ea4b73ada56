"""How many events/s does the aggregator sustain, per store and batch size?

A topic is pre-filled with Timeback events in the front door's record format; the
aggregator then runs in-process and the clock runs from its first batch to the last
stored offset (group join excluded). Correctness is checked before a rate is printed:
the store must have counted every event exactly once, with one `facts` row per event.

    .venv/bin/python benchmarks/aggregate.py [--events 100000] [--batch-sizes 500,2000,5000]

Uses KAFKA_BOOTSTRAP_SERVERS when set, else the embedded broker; PostgreSQL from
CALIPER_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sqlite3
import tempfile
import time
import uuid
from typing import Any, Final

import psycopg
import uvloop
from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from caliper_pipeline.dev.broker import EmbeddedBroker
from consumers.aggregator.metrics import AggregatorMetrics
from consumers.aggregator.settings import AggregatorSettings
from consumers.aggregator.store_factory import open_store
from consumers.aggregator.topics import prepare
from consumers.aggregator.worker import Aggregator
from ingest.kafka.records import context_of, event_records

POLL_S: Final = 0.02  # progress check: ≤ 0.5 % of a 100,000-event run at 20,000 events/s
POSTGRES_URL = os.environ.get(
    "CALIPER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def event(n: int, rng: random.Random) -> dict[str, Any]:
    student = rng.randrange(500)
    activity = rng.random() < 0.6
    items = (
        [{"type": "xpEarned", "value": rng.choice([1, 2.5, 10, -3])}]
        if activity
        else [
            {"type": "active", "value": rng.randrange(600)},
            {"type": "waste", "value": 30, "subType": "break"},
        ]
    )
    return {
        "id": f"urn:uuid:{uuid.UUID(int=n + 1, version=4)}",
        "type": "ActivityEvent" if activity else "TimeSpentEvent",
        "action": "Completed" if activity else "SpentTime",
        "profile": "TimebackProfile",
        "actor": {
            "id": f"https://api.example/ims/oneroster/rostering/v1p2/users/s{student}",
            "type": "TimebackUser",
            "email": f"s{student}@school.example",
        },
        "object": {
            "id": "https://app.example/ctx/1",
            "type": "TimebackActivityContext",
            "subject": rng.choice(["Math", "Reading", "Science"]),
            "app": {"name": "Bench App"},
            "course": {"id": f"https://app.example/courses/c{student % 5}", "name": "Course"},
        },
        "eventTime": f"2026-03-0{rng.randrange(1, 3)}T10:00:00Z",
        "generated": {"id": f"urn:m:{n}", "type": "x", "items": items},
    }


async def fill(bootstrap: str, settings: AggregatorSettings, count: int) -> None:
    await prepare(settings, {"bootstrap_servers": bootstrap})
    rng = random.Random(1)
    context = context_of(
        {"sensor": "https://app.example", "sendTime": None}, "2026-03-08T00:00:00Z", "bench"
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    await producer.start()
    try:
        for start in range(0, count, 5000):
            records = event_records(
                [event(n, rng) for n in range(start, min(count, start + 5000))], context
            )
            futures = [
                await producer.send(settings.events_topic, r.value, r.key, headers=r.headers)
                for r in records
            ]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()


def fact_rows(store_url: str, schema: str) -> int:
    """Rows in the store's `facts` table: one per counted event."""
    if store_url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(store_url.removeprefix("sqlite://"))) as conn:
            (rows,) = conn.execute("SELECT count(*) FROM facts").fetchone()
    else:
        with psycopg.connect(store_url) as pg:
            row = pg.execute(f"SELECT count(*) FROM {schema}.facts").fetchone()
            rows = row[0] if row else 0
    return int(rows)


async def measure(bootstrap: str, store_url: str, batch_size: int, count: int) -> float:
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    settings = AggregatorSettings(
        events_topic=f"{prefix}.events",
        facts_topic=f"{prefix}.facts",
        daily_topic=f"{prefix}.daily",
        conflicts_topic=f"{prefix}.conflicts",
        events_partitions=12,
        group_id=f"{prefix}.group",
        store_url=SecretStr(store_url),
        store_schema=schema,
        batch_size=batch_size,
        session_timeout_ms=3000,
        heartbeat_interval_ms=1000,
        commit_to_kafka=False,
    )
    await fill(bootstrap, settings, count)
    registry = CollectorRegistry()
    store = open_store(store_url, schema=schema)
    aggregator = Aggregator(
        settings,
        kafka={"bootstrap_servers": bootstrap},
        store=store,
        metrics=AggregatorMetrics(registry),
    )
    stop = asyncio.Event()
    try:
        async with aggregator:
            task = asyncio.create_task(aggregator.run(stop))
            first_at, first_records = 0.0, 0.0
            while True:
                done = registry.get_sample_value("caliper_aggregator_batch_records_sum") or 0.0
                if done and not first_at:
                    first_at, first_records = time.perf_counter(), done
                if done >= count:
                    break
                # Collecting the registry costs the aggregator's own CPU: not too often.
                await asyncio.sleep(POLL_S)
            elapsed = time.perf_counter() - first_at
            stop.set()
            await task
            counted = sum(t.events for t in await store.all_totals())
            if counted != count:
                raise SystemExit(f"wrong: {counted} events counted out of {count}")
            if (rows := fact_rows(store_url, schema)) != count:
                raise SystemExit(f"wrong: {rows} facts rows for {count} events")
    finally:
        if store_url.startswith("postgresql"):
            with psycopg.connect(store_url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    return (count - first_records) / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch-sizes", default="500,2000,5000")
    parser.add_argument("--stores", default="sqlite,postgresql")
    args = parser.parse_args()
    broker = None
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        broker = EmbeddedBroker(host="127.0.0.1", port=0)
        await broker.start()
        bootstrap = broker.bootstrap_servers
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for store in args.stores.split(","):
                for batch_size in (int(b) for b in args.batch_sizes.split(",")):
                    url = (
                        f"sqlite://{tmp}/{uuid.uuid4().hex}.db"
                        if store == "sqlite"
                        else POSTGRES_URL
                    )
                    rate = await measure(bootstrap, url, batch_size, args.events)
                    label = f"{store:<10} batch {batch_size:>5}"
                    print(f"{label}: {rate:>8,.0f} events/s ({args.events} events, exact)")
    finally:
        if broker is not None:
            broker.stop()


if __name__ == "__main__":
    uvloop.run(main())
