"""kill -9 the aggregator process at random points; when it catches up, totals are exact."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from pydantic import SecretStr

from consumers.aggregator.settings import ENV_PREFIX, AggregatorSettings
from consumers.aggregator.store import Store
from consumers.aggregator.store_factory import open_store
from tests.integration.consumers.aggregator.conftest import (
    StoreConfig,
    aggregator_settings,
)
from tests.integration.consumers.aggregator.stream import (
    assert_daily_equal,
    conflicting,
    expected_daily,
    generic_event,
    produce,
    read_daily,
    timeback_event,
    wait_caught_up,
)
from tests.integration.consumers.aggregator.tables import execute

pytestmark = pytest.mark.integration

UNIQUE_EVENTS = 20_000
MIN_KILLS = 5


def environment(settings: AggregatorSettings, bootstrap: str) -> dict[str, str]:
    env = dict(os.environ)
    env[f"{ENV_PREFIX}KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        env[f"{ENV_PREFIX}{name.upper()}"] = (
            str(value).lower() if isinstance(value, bool) else str(value)
        )
    return env


def spawn(settings: AggregatorSettings, bootstrap: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "caliper_pipeline", "aggregate"],
        env=environment(settings, bootstrap),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def progress(store: Store, topic: str) -> int:
    return sum(offset for offset, _ in (await store.load_offsets(topic)).values())


@pytest.mark.timeout(240)
async def test_kill_9_at_random_points_then_totals_are_exact(
    bootstrap_servers: str, store_config: StoreConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = aggregator_settings(store_config, batch_size=250)
    rng = random.Random(20_000)
    unique = [timeback_event(n, rng, students=80) for n in range(UNIQUE_EVENTS)]
    resent = rng.sample(unique, 2_000)  # clients re-sending whole envelopes
    conflicts = [conflicting(e) for e in rng.sample(unique, 300)]  # same id, new numbers
    duplicates = rng.sample(unique, 500)  # and exact duplicates in the same envelope stream
    generic = [generic_event(n) for n in range(200)]
    # Originals first: a conflicting version is keyed like its original (same student,
    # same partition) and comes later, so the original is the one counted.
    await produce(bootstrap_servers, settings.events_topic, unique)
    tail: list[dict[str, Any]] = [*resent, *conflicts, *duplicates, *generic]
    rng.shuffle(tail)
    await produce(
        bootstrap_servers, settings.events_topic, tail, received_time="2026-03-06T00:00:00Z"
    )
    total = len(unique) + len(tail)

    watcher = open_store(settings.store_url.get_secret_value(), schema=settings.store_schema)
    await watcher.start()
    kills = 0
    started = time.monotonic()
    try:
        while True:
            process = spawn(settings, bootstrap_servers)
            before = await progress(watcher, settings.events_topic)
            # Kill only after this run made progress, at a random moment within a batch or two.
            while await progress(watcher, settings.events_topic) == before:
                assert process.poll() is None, "aggregator exited by itself"
                await asyncio.sleep(0.02)
            if await progress(watcher, settings.events_topic) >= total or kills >= MIN_KILLS + 1:
                break
            await asyncio.sleep(rng.uniform(0.0, 0.15))
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
        await wait_caught_up(watcher, settings.events_topic, total, timeout_s=60)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0, "graceful SIGTERM exit"
        expected = expected_daily(unique)
        stored = {t.key: t for t in await watcher.all_totals()}
        assert sum(t.events for t in stored.values()) == UNIQUE_EVENTS
        # Facts rows roll back with their batch: exactly one per counted event.
        facts = execute(store_config, "SELECT count(*), count(DISTINCT event_id) FROM {t}facts")
        assert facts == [(UNIQUE_EVENTS, UNIQUE_EVENTS)]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        await watcher.stop()
    assert kills >= MIN_KILLS, f"only {kills} kills before the stream was consumed"
    assert_daily_equal(await read_daily(bootstrap_servers, settings.daily_topic), expected)
    with capsys.disabled():
        print(
            f"\n[{store_config.kind}] crash test: {kills} kill -9, {total} events "
            f"({UNIQUE_EVENTS} unique, {len(resent)} re-sent, {len(duplicates)} duplicated, "
            f"{len(conflicts)} conflicting, {len(generic)} generic), {len(expected)} daily keys "
            f"exact, {time.monotonic() - started:.1f} s"
        )
