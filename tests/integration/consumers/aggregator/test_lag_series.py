"""After a rebalance each aggregator shows lag for exactly the partitions it holds: a
member joins (the first gives half away), then leaves (the first takes all back)."""

from __future__ import annotations

import asyncio
import random

import pytest
from prometheus_client import CollectorRegistry

from caliper_pipeline.runtime import Plan, supervise
from consumers.aggregator.metrics import AggregatorMetrics
from consumers.aggregator.store_factory import open_store
from consumers.aggregator.worker import Aggregator
from tests.integration.conftest import kafka_options
from tests.integration.consumers.aggregator.conftest import StoreConfig, aggregator_settings
from tests.integration.consumers.aggregator.stream import produce, timeback_event
from tests.integration.consumers.probes import lag_series

pytestmark = pytest.mark.integration

LAG = "caliper_aggregator_consumer_lag_records"
ALL = {0, 1, 2, 3}


class Member:
    def __init__(self, aggregator: Aggregator, registry: CollectorRegistry) -> None:
        self.aggregator = aggregator
        self.registry = registry
        self.stop = asyncio.Event()
        plan = Plan([aggregator])
        self.task = asyncio.create_task(supervise(plan, self.stop, asyncio.Event(), 5.0))

    @property
    def series(self) -> set[int]:
        return lag_series(self.registry, LAG)

    async def leave(self) -> None:
        self.stop.set()
        assert await asyncio.wait_for(self.task, 15) == 0


async def until(check: object, what: str, timeout_s: float = 30.0) -> None:
    assert callable(check)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out: {what}")
        await asyncio.sleep(0.1)


async def test_lag_series_cover_exactly_each_members_partitions(
    bootstrap_servers: str, postgres_config: StoreConfig
) -> None:
    settings = aggregator_settings(postgres_config, batch_size=50)
    rng = random.Random(5)

    def member() -> Member:
        registry = CollectorRegistry()
        store = open_store(settings.store_url.get_secret_value(), schema=settings.store_schema)
        aggregator = Aggregator(
            settings,
            kafka=kafka_options(bootstrap_servers),
            store=store,
            metrics=AggregatorMetrics(registry),
        )
        return Member(aggregator, registry)

    first = member()
    second: Member | None = None
    try:
        await produce(bootstrap_servers, settings.events_topic, [
            timeback_event(n, rng) for n in range(400)
        ])  # fmt: skip
        await until(lambda: first.series == ALL, "the only member shows every partition")

        second = member()
        joined = second

        def split_exactly() -> bool:
            a, b = first.aggregator.assignment(), joined.aggregator.assignment()
            return bool(a and b) and a | b == ALL and first.series == a and joined.series == b

        await until(split_exactly, "each member shows exactly its half")
        assert not first.series & joined.series
        # More records while both hold their halves: refreshes keep to the halves.
        await produce(bootstrap_servers, settings.events_topic, [
            timeback_event(n, rng) for n in range(400, 600)
        ])  # fmt: skip
        await asyncio.sleep(1.0)
        assert split_exactly(), (first.series, joined.series)

        await joined.leave()
        second = None
        await until(
            lambda: first.aggregator.assignment() == ALL and first.series == ALL,
            "the remaining member shows every partition again",
        )
    finally:
        for m in (first, second):
            if m is not None:
                m.stop.set()
        await asyncio.gather(
            *(m.task for m in (first, second) if m is not None), return_exceptions=True
        )
