"""Two aggregators in one group (PostgreSQL), and a broker that forgot its log (`up`)."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest
from prometheus_client import CollectorRegistry

from caliper_pipeline.dev.broker import EmbeddedBroker
from consumers.aggregator.settings import AggregatorSettings
from consumers.aggregator.store import Store
from consumers.aggregator.store_factory import open_store
from tests.integration.consumers.aggregator.conftest import (
    StoreConfig,
    aggregator_settings,
    serve_aggregator,
)
from tests.integration.consumers.aggregator.stream import (
    assert_daily_equal,
    conflicting,
    expected_daily,
    produce,
    read_daily,
    timeback_event,
    wait_caught_up,
)

pytestmark = pytest.mark.integration


def start(
    settings: AggregatorSettings, bootstrap: str
) -> tuple[asyncio.Event, asyncio.Task[int], CollectorRegistry]:
    stop, registry = asyncio.Event(), CollectorRegistry()
    task = asyncio.create_task(serve_aggregator(settings, bootstrap, registry=registry, stop=stop))
    return stop, task, registry


async def test_rebalance_with_one_member_stopped_mid_stream(
    bootstrap_servers: str, postgres_config: StoreConfig
) -> None:
    settings = aggregator_settings(postgres_config, batch_size=100)
    rng = random.Random(2)
    unique = [timeback_event(n, rng, students=30) for n in range(6000)]
    resent = rng.sample(unique, 600)
    conflicts = [conflicting(e) for e in rng.sample(unique, 50)]
    stop_a, task_a, registry_a = start(settings, bootstrap_servers)
    stop_b, task_b, registry_b = start(settings, bootstrap_servers)
    watcher = open_store(settings.store_url.get_secret_value(), schema=settings.store_schema)
    await watcher.start()
    try:
        await produce(bootstrap_servers, settings.events_topic, unique[:3000])
        # Wait until both members hold partitions and have counted something.
        for registry in (registry_a, registry_b):
            for _ in range(300):
                if registry.get_sample_value("caliper_aggregator_batch_records_count"):
                    break
                await asyncio.sleep(0.05)
        # Stop A while the rest of the stream is arriving: B takes its partitions over.
        producing = asyncio.create_task(
            produce(bootstrap_servers, settings.events_topic, [*unique[3000:], *resent, *conflicts])
        )
        await asyncio.sleep(0.2)
        stop_a.set()
        assert await asyncio.wait_for(task_a, 15) == 0
        await producing
        await wait_caught_up(watcher, settings.events_topic, 6000 + 600 + 50)
        counted = [
            r.get_sample_value("caliper_aggregator_facts_total", {"event_type": kind}) or 0
            for r in (registry_a, registry_b)
            for kind in ("ActivityEvent", "TimeSpentEvent")
        ]
        assert sum(counted) == 6000
        assert sum(t.events for t in await watcher.all_totals()) == 6000
    finally:
        stop_a.set()
        stop_b.set()
        await asyncio.gather(task_a, task_b, return_exceptions=True)
        await watcher.stop()
    assert (
        registry_a.get_sample_value(
            "caliper_aggregator_facts_total", {"event_type": "ActivityEvent"}
        )
        or 0
    ) > 0
    assert_daily_equal(
        await read_daily(bootstrap_servers, settings.daily_topic), expected_daily(unique)
    )


async def test_new_broker_run_reads_its_log_from_the_start(
    bootstrap_servers: str, store_config: StoreConfig, caplog: pytest.LogCaptureFixture
) -> None:
    """`up` restarted: an empty in-memory broker, the same store. The new log is read
    from offset 0 even once it has grown past the stored offsets; re-sent ids stay
    counted once. Said once, at INFO: it is what every restart of `up` does."""
    rng = random.Random(3)
    first = [timeback_event(n, rng, students=10) for n in range(400)]
    later = [timeback_event(n, rng, students=10) for n in range(400, 1000)]
    settings = aggregator_settings(store_config, broker_run_id="run-1")
    await produce(bootstrap_servers, settings.events_topic, first)
    stop, task, _ = start(settings, bootstrap_servers)
    watcher = open_store(settings.store_url.get_secret_value(), schema=settings.store_schema)
    await watcher.start()
    try:
        await wait_caught_up(watcher, settings.events_topic, 400)
        stop.set()
        assert await asyncio.wait_for(task, 15) == 0
        async with EmbeddedBroker(host="127.0.0.1", port=0) as fresh:
            restarted = settings.model_copy(update={"broker_run_id": "run-2"})
            # More records than before, so stored offsets would silently skip some.
            await produce(fresh.bootstrap_servers, settings.events_topic, [*first[:200], *later])
            caplog.clear()
            caplog.set_level(logging.INFO, logger="consumers.aggregator")
            stop, task, registry = start(restarted, fresh.bootstrap_servers)
            await wait_caught_up_source(watcher, settings.events_topic, 800, "run-2")
            said = [r for r in caplog.records if "new broker log" in r.getMessage()]
            assert [r.levelno for r in said] == [logging.INFO], caplog.text
            assert "run-2" in said[0].getMessage()
            assert "run-1" in said[0].getMessage()
            alarming = [
                r
                for r in caplog.records
                if r.name.startswith("consumers.") and r.levelno >= logging.WARNING
            ]
            assert not alarming, caplog.text
            stop.set()
            assert await asyncio.wait_for(task, 15) == 0
            assert registry.get_sample_value("caliper_aggregator_offset_resets_total") == 4
            assert registry.get_sample_value("caliper_aggregator_duplicates_total") == 200
            everything = expected_daily([*first, *later])
            assert_daily_equal(
                await read_daily(fresh.bootstrap_servers, settings.daily_topic),
                # Only keys that changed are published again, with their whole totals.
                {k: v for k, v in everything.items() if k in expected_daily(later)},
            )
        totals = {t.key: t for t in await watcher.all_totals()}
        assert sum(t.events for t in totals.values()) == 1000
    finally:
        stop.set()
        await asyncio.gather(task, return_exceptions=True)
        await watcher.stop()


async def wait_caught_up_source(
    watcher: Store, topic: str, total: int, run_id: str, timeout_s: float = 30.0
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        stored = await watcher.load_offsets(topic)
        on_new_run = all(s.endswith(run_id) for _, s in stored.values())
        if on_new_run and sum(o for o, _ in stored.values()) >= total:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not caught up on {run_id}")
