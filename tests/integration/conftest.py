"""A real broker and a real HTTP server for the integration tier.

The broker is `KAFKA_BOOTSTRAP_SERVERS` when set (Apache Kafka from deploy/), else the
embedded Tansu broker started here on a free 127.0.0.1 port. The front door runs under
uvicorn in the test's event loop on a free port; tests talk to it with httpx over TCP.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from caliper_pipeline.dev.broker import EmbeddedBroker
from caliper_pipeline.kafka import KafkaSettings
from ingest.http.app import create_app
from ingest.http.server import FrontDoorServer, bind
from ingest.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def bootstrap_servers() -> Iterator[str]:
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        yield configured
        return
    broker = EmbeddedBroker(host="127.0.0.1", port=0)
    asyncio.run(broker.start())
    try:
        yield broker.bootstrap_servers
    finally:
        broker.stop()


def unique_settings(**overrides: Any) -> Settings:
    """Settings with topics no other test uses."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "events_topic": f"{prefix}.events",
        "rejected_topic": f"{prefix}.rejected",
        "events_partitions": 4,
        "rejected_partitions": 1,
        "publish_timeout_s": 5.0,
        "shutdown_timeout_s": 5.0,
        # Tests about auth turn it on with their own issuer (test_auth_*, test_hostile_*).
        "auth_enabled": False,
    }
    values.update(overrides)
    return Settings(**values)


def kafka_options(bootstrap: str) -> dict[str, Any]:
    """The connection options the shell builds for a plain-text broker."""
    return KafkaSettings(bootstrap_servers=bootstrap).client_options()


@dataclass
class FrontDoor:
    url: str
    settings: Settings
    bootstrap: str
    service: FrontDoorServer
    stop: asyncio.Event


@pytest.fixture
async def settings() -> Settings:
    return unique_settings()


async def start_front_door(
    settings: Settings, bootstrap: str, **app_options: Any
) -> tuple[FrontDoor, asyncio.Task[None]]:
    """The front door as `serve` runs it (FrontDoorServer), on a free port."""
    app = create_app(settings=settings, kafka=kafka_options(bootstrap), **app_options)
    service = FrontDoorServer(app, settings, bind(settings.host, settings.port, fallback=False))
    await service.start()
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    return FrontDoor(service.url, settings, bootstrap, service, stop), task


async def stop_front_door(door: FrontDoor, task: asyncio.Task[None]) -> None:
    door.stop.set()
    await asyncio.wait_for(task, door.settings.shutdown_timeout_s + 5)
    await door.service.stop()


@pytest.fixture
async def front_door(settings: Settings, bootstrap_servers: str) -> AsyncIterator[FrontDoor]:
    door, task = await start_front_door(settings, bootstrap_servers)
    try:
        yield door
    finally:
        await stop_front_door(door, task)


async def read_topic(
    bootstrap: str, topic: str, *, expect: int, timeout_s: float = 10.0, settle_s: float = 0.5
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of `topic` from the beginning: waits for `expect` records, then
    `settle_s` more so that extra (duplicate) records would be seen too."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=100
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[ConsumerRecord[bytes, bytes]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        settle_until: float | None = None
        while loop.time() < (settle_until or deadline):
            batch = await consumer.getmany(timeout_ms=100)
            for part in batch.values():
                records.extend(part)
            if settle_until is None and len(records) >= expect:
                settle_until = loop.time() + settle_s
        return records
    finally:
        await consumer.stop()
