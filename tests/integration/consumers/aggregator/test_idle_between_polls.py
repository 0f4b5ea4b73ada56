"""`idle_between_polls_ms`: a steady stream is read in fewer, larger batches (so fewer
fetches), every event still counted once; a stop cuts the idling short."""

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

TRICKLE = 200
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


async def batches_for_a_trickle(bootstrap: str, tmp_path: Path, idle_ms: int) -> float:
    """How many batches the aggregator made of TRICKLE events sent GAP_S apart."""
    store = StoreConfig("sqlite", f"sqlite://{tmp_path}/idle{idle_ms}.sqlite3", "aggregator")
    settings = aggregator_settings(
        store, events_partitions=1, batch_linger_ms=0, idle_between_polls_ms=idle_ms
    )
    registry, stop = CollectorRegistry(), asyncio.Event()
    task = asyncio.create_task(serve_aggregator(settings, bootstrap, registry=registry, stop=stop))
    try:
        async with SqliteStore(f"{tmp_path}/idle{idle_ms}.sqlite3") as watcher:
            # One event first: the consumer has joined once it is counted.
            await trickle(bootstrap, settings.events_topic, range(1))
            await wait_caught_up(watcher, settings.events_topic, 1)
            before = registry.get_sample_value("caliper_aggregator_batch_records_count") or 0
            await trickle(bootstrap, settings.events_topic, range(1, 1 + TRICKLE))
            await wait_caught_up(watcher, settings.events_topic, 1 + TRICKLE)
        after = registry.get_sample_value("caliper_aggregator_batch_records_count") or 0
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 15) == 0
    assert counted(registry) == 1 + TRICKLE  # each event once
    return after - before


async def test_idling_reads_a_trickle_in_fewer_batches(
    bootstrap_servers: str, tmp_path: Path
) -> None:
    eager = await batches_for_a_trickle(bootstrap_servers, tmp_path, 0)
    idle = await batches_for_a_trickle(bootstrap_servers, tmp_path, 1000)
    # Eager, the consumer keeps up and polls again at once: many small batches (130-190
    # measured). Idling a second after each batch that was not full: the stream (about
    # 1.5 s) fits in a few.
    assert idle <= 6, (idle, eager)
    assert eager >= 3 * idle, (idle, eager)


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
