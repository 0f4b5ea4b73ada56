"""`idle_between_polls_ms`: after a batch that was not full the aggregator waits before it
polls again (fewer fetches), every event still counted once; a stop cuts the idle short."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry

from consumers.aggregator.sqlite_store import SqliteStore
from ingest.kafka.records import context_of, event_records
from tests.integration.consumers.aggregator.conftest import (
    StoreConfig,
    aggregator_settings,
    serve_aggregator,
)
from tests.integration.consumers.aggregator.stream import timeback_event, wait_caught_up

pytestmark = pytest.mark.integration

IDLE_MS = 2000
GAP_S = 0.005


async def trickle(bootstrap: str, topic: str, numbers: range) -> None:
    """Events `numbers` as the front door writes them, each acknowledged, GAP_S apart."""
    rng = random.Random(3)
    context = context_of({"sensor": "https://app.example"}, "2026-03-05T00:00:00Z", "app-1")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for n in numbers:
            (record,) = event_records([timeback_event(n, rng)], context)
            await producer.send_and_wait(topic, record.value, record.key, headers=record.headers)
            await asyncio.sleep(GAP_S)
    finally:
        await producer.stop()


def counted(registry: CollectorRegistry) -> float:
    return sum(
        sample.value
        for metric in registry.collect()
        if metric.name == "caliper_aggregator_facts"
        for sample in metric.samples
        if sample.name == "caliper_aggregator_facts_total"
    )


async def test_after_a_batch_the_next_poll_waits_for_the_idle(
    bootstrap_servers: str, tmp_path: Path
) -> None:
    """An event sent right after a batch is read only once the idle is over (polling at
    once, it is read within the broker's fetch wait, 0.5 s), and counted once.

    Measured by time, not by counting batches: the embedded broker holds a fetch that
    finds nothing new for up to 0.5 s, so how many batches a consumer polling at once
    makes of a stream depends on the machine's speed."""
    store = StoreConfig("sqlite", f"sqlite://{tmp_path}/a.sqlite3", "aggregator")
    settings = aggregator_settings(store, events_partitions=1, idle_between_polls_ms=IDLE_MS)
    registry, stop = CollectorRegistry(), asyncio.Event()
    task = asyncio.create_task(
        serve_aggregator(settings, bootstrap_servers, registry=registry, stop=stop)
    )
    loop = asyncio.get_running_loop()
    try:
        async with SqliteStore(f"{tmp_path}/a.sqlite3") as watcher:
            await trickle(bootstrap_servers, settings.events_topic, range(1))
            await wait_caught_up(watcher, settings.events_topic, 1)  # now idling
            sent = loop.time()
            await trickle(bootstrap_servers, settings.events_topic, range(1, 2))
            await wait_caught_up(watcher, settings.events_topic, 2)
            waited = loop.time() - sent
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 15) == 0
    # The idle began before the first event's offsets were seen (0.1 s polls).
    assert waited >= IDLE_MS / 1000 - 0.5, waited
    assert counted(registry) == 2


async def test_a_stop_ends_the_idle_at_once(bootstrap_servers: str, tmp_path: Path) -> None:
    store = StoreConfig("sqlite", f"sqlite://{tmp_path}/a.sqlite3", "aggregator")
    settings = aggregator_settings(store, events_partitions=1, idle_between_polls_ms=60_000)
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve_aggregator(settings, bootstrap_servers, registry=CollectorRegistry(), stop=stop)
    )
    async with SqliteStore(f"{tmp_path}/a.sqlite3") as watcher:
        await trickle(bootstrap_servers, settings.events_topic, range(1))
        await wait_caught_up(watcher, settings.events_topic, 1)  # now idling for 60 s
    loop = asyncio.get_running_loop()
    started = loop.time()
    stop.set()
    assert await asyncio.wait_for(task, 15) == 0
    assert loop.time() - started < 5
