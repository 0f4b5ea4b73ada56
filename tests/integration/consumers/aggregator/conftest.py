"""Stores (SQLite file, PostgreSQL schema) and settings for the aggregator's integration tests.

Every test gets its own topics, consumer group, SQLite file or PostgreSQL schema.
PostgreSQL tests fail in CI (`CI` set) when the server is unreachable, and skip with
the reason elsewhere.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from prometheus_client import CollectorRegistry

from caliper_pipeline.runtime import Plan, supervise
from consumers.aggregator.service import aggregator_service
from consumers.aggregator.settings import AggregatorSettings
from tests.integration.conftest import kafka_options

pytestmark = pytest.mark.integration

POSTGRES_URL = os.environ.get(
    "CALIPER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@dataclass(frozen=True)
class StoreConfig:
    kind: str
    url: str
    schema: str


def postgres_or_skip() -> None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        message = f"PostgreSQL unreachable at {POSTGRES_URL}: {exc}".strip()
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message + " (set CALIPER_TEST_POSTGRES_URL; fails when CI is set)")


def _postgres_store() -> Iterator[StoreConfig]:
    postgres_or_skip()
    schema = f"agg_{uuid.uuid4().hex[:12]}"
    yield StoreConfig("postgresql", POSTGRES_URL, schema)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_config(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreConfig]:
    """The same test against both stores."""
    if request.param == "sqlite":
        yield StoreConfig("sqlite", f"sqlite://{tmp_path}/aggregator.sqlite3", "aggregator")
    else:
        yield from _postgres_store()


@pytest.fixture
def postgres_config() -> Iterator[StoreConfig]:
    yield from _postgres_store()


def serve_aggregator(
    settings: AggregatorSettings,
    bootstrap: str,
    *,
    registry: CollectorRegistry,
    stop: asyncio.Event,
) -> Coroutine[Any, Any, int]:
    """The aggregator as `caliper-pipeline aggregate` runs it (the runtime's supervisor),
    in this event loop; `stop` drains it. The coroutine returns the exit code."""
    service = aggregator_service(settings, kafka=kafka_options(bootstrap), registry=registry)
    return supervise(Plan([service]), stop, asyncio.Event(), settings.shutdown_timeout_s)


def aggregator_settings(store: StoreConfig, **overrides: Any) -> AggregatorSettings:
    """Unique topics and group; quick group timeouts (the embedded broker holds each join
    for half the session timeout)."""
    prefix = f"a{uuid.uuid4().hex[:10]}"
    values: dict[str, Any] = {
        "events_topic": f"{prefix}.events",
        "facts_topic": f"{prefix}.facts",
        "daily_topic": f"{prefix}.daily",
        "conflicts_topic": f"{prefix}.conflicts",
        "events_partitions": 4,
        "facts_partitions": 2,
        "daily_partitions": 2,
        "group_id": f"{prefix}.group",
        "store_url": store.url,
        "store_schema": store.schema,
        "session_timeout_ms": 3000,
        "heartbeat_interval_ms": 1000,
        "poll_timeout_ms": 100,
        "retry_backoff_s": 0.2,
        "shutdown_timeout_s": 5.0,
    }
    values.update(overrides)
    return AggregatorSettings(**values)
