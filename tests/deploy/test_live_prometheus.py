"""A real Prometheus scrapes the running pipeline while events flow; then every dashboard
query and every alert expression is evaluated through its HTTP API.

Embedded broker, the dev OneRoster server (in this process), and the front door, the
aggregator and the OneRoster writer as separate processes started like compose starts
them (entry point + environment variables). Traffic: the Timeback client envelopes of
the conformance corpus with fresh event ids (accepted and rejected ones), a run of bad
envelopes (so the reject alert goes pending), two 500s from OneRoster (retries) and one
malformed record (a dead letter, so that alert fires).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from caliper_pipeline.dev.broker import EmbeddedBroker
from caliper_pipeline.dev.oneroster import DEV_CLIENT_ID, DEV_CLIENT_SECRET, DevServer
from tests.deploy.conftest import PrometheusTools
from tests.deploy.manifests import (
    PENDING_METRICS,
    alert_rules,
    dashboard_query,
    dashboard_targets,
    metric_names_in,
)
from tests.deploy.pipeline import (
    Process,
    PrometheusServer,
    free_port,
    prometheus_config,
    python,
    wait_http_ok,
)

pytestmark = pytest.mark.integration

PARTITIONS: Final = "4"
EVENTS_TOPIC: Final = "caliper.events"
# Grafana fills $__rate_interval in; one minute holds dozens of 1 s scrapes. The $job and
# $namespace variables get their "All" values (dashboard_query).
RATE_INTERVAL: Final = "1m"
# What the traffic below must make each alert do; every other alert stays silent.
EXPECTED_ALERTS: Final = {"CaliperRejectRateHigh": "pending", "CaliperDeadLettersGrowing": "firing"}
_GROUP_SETTINGS: Final = {"SESSION_TIMEOUT_MS": "3000", "HEARTBEAT_INTERVAL_MS": "1000"}


def _env(prefix: str, **values: str) -> dict[str, str]:
    return {prefix + name: value for name, value in {**_GROUP_SETTINGS, **values}.items()}


async def _start_pipeline(
    broker: EmbeddedBroker, oneroster: DevServer, tmp: Path
) -> tuple[list[Process], dict[str, str]]:
    """Front door, aggregator, writer, analytics; returns them and the scrape target of each job."""
    http, aggregator_metrics, writer_metrics = free_port(), free_port(), free_port()
    analytics_http = free_port()
    front_door = Process(
        "ingest",
        python("-m", "caliper_pipeline", "serve"),
        {
            "CALIPER_HOST": "127.0.0.1",
            "CALIPER_PORT": str(http),
            "CALIPER_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "CALIPER_EVENTS_PARTITIONS": PARTITIONS,
            "CALIPER_REJECTED_PARTITIONS": "1",
            # Auth is tested elsewhere; here the metrics matter, so it is off explicitly.
            "CALIPER_AUTH_ENABLED": "false",
        },
        tmp,
    )
    aggregator = Process(
        "aggregator",
        python("-m", "caliper_pipeline", "aggregate"),
        _env(
            "CALIPER_AGGREGATOR_",
            KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap_servers,
            STORE_URL=f"sqlite:///{tmp / 'aggregator.sqlite3'}",
            EVENTS_PARTITIONS=PARTITIONS,
            FACTS_PARTITIONS=PARTITIONS,
            DAILY_PARTITIONS=PARTITIONS,
            METRICS_PORT=str(aggregator_metrics),
            POLL_TIMEOUT_MS="200",
        ),
        tmp,
    )
    writer = Process(
        "oneroster-writer",
        python("-m", "caliper_pipeline", "results"),
        _env(
            "CALIPER_ONEROSTER_",
            KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap_servers,
            BASE_URL=oneroster.url,
            TOKEN_URL=oneroster.token_url,
            CLIENT_ID=DEV_CLIENT_ID,
            CLIENT_SECRET=DEV_CLIENT_SECRET,
            DLQ_PARTITIONS="1",
            METRICS_PORT=str(writer_metrics),
            POLL_TIMEOUT_MS="200",
            RETRY_BACKOFF_S="0.05",
            RETRY_BACKOFF_MAX_S="0.2",
        ),
        tmp,
    )
    analytics = Process(
        "analytics",
        python("-m", "caliper_pipeline", "analytics"),
        {
            "CALIPER_ANALYTICS_PORT": str(analytics_http),
            "CALIPER_ANALYTICS_STORE_URL": f"sqlite:///{tmp / 'aggregator.sqlite3'}",
            "CALIPER_AUTH_ENABLED": "false",
        },
        tmp,
    )
    processes = [front_door, aggregator, writer, analytics]
    await asyncio.gather(
        wait_http_ok(front_door, f"http://127.0.0.1:{http}/readyz"),
        wait_http_ok(aggregator, f"http://127.0.0.1:{aggregator_metrics}/metrics"),
        wait_http_ok(writer, f"http://127.0.0.1:{writer_metrics}/metrics"),
        wait_http_ok(analytics, f"http://127.0.0.1:{analytics_http}/healthz"),
    )
    targets = {
        "caliper-ingest": f"127.0.0.1:{http}",
        "caliper-aggregator": f"127.0.0.1:{aggregator_metrics}",
        "caliper-oneroster-writer": f"127.0.0.1:{writer_metrics}",
        "caliper-analytics": f"127.0.0.1:{analytics_http}",
    }
    return processes, targets


def _fresh_ids(envelope: dict[str, Any]) -> dict[str, Any]:
    for event in envelope.get("data", []):
        if isinstance(event, dict):
            event["id"] = f"urn:uuid:{uuid.uuid4()}"
    return envelope


def _envelopes(corpus: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(corpus.glob("*.json"))]


async def _send_traffic(
    front_door: str, envelopes: list[dict[str, Any]], oneroster: DevServer
) -> list[int]:
    async with httpx.AsyncClient(base_url=front_door, timeout=10.0) as client:
        # The writer's first two gradebook calls fail: retries show up.
        fault = {"kind": "status", "status": 500, "count": 2, "method": "PUT"}
        assert (await client.post(f"{oneroster.url}/_dev/faults", json=fault)).status_code < 300
        statuses = []
        for _ in range(3):
            for envelope in envelopes:
                answer = await client.post("/caliper/event", json=_fresh_ids(envelope))
                statuses.append(answer.status_code)
        await client.post("/caliper/event/validate", json=_fresh_ids(envelopes[0]))
        # A run of bad envelopes, in two waves a few scrapes apart so rate() sees growth.
        for _ in range(2):
            for _ in range(25):
                await client.post("/caliper/event", content=b'{"data": []}')
            await asyncio.sleep(2.5)
    return statuses


async def _produce_malformed_record(bootstrap: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(EVENTS_TOPIC, b"\x00not json", key=b"k")
    finally:
        await producer.stop()


async def _eventually(prometheus: PrometheusServer, expression: str, timeout_s: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not await prometheus.query(expression):
        if loop.time() > deadline:
            raise AssertionError(f"{expression!r} still empty after {timeout_s} s")
        await asyncio.sleep(0.5)


@pytest.fixture
async def broker() -> AsyncIterator[EmbeddedBroker]:
    async with EmbeddedBroker(port=0) as started:
        yield started


@pytest.mark.timeout(150)
async def test_every_panel_and_alert_against_a_live_pipeline(
    prometheus_tools: PrometheusTools,
    conformance_dir: Path,
    broker: EmbeddedBroker,
    tmp_path: Path,
) -> None:
    envelopes = _envelopes(conformance_dir / "timeback-clients")
    async with DevServer(port=0) as oneroster:
        processes, targets = await _start_pipeline(broker, oneroster, tmp_path)
        try:
            config = prometheus_config(targets, interval="1s")
            async with PrometheusServer(prometheus_tools.prometheus, tmp_path, config) as prom:
                await _run_checks(prom, processes, targets, broker, oneroster, envelopes)
        finally:
            for process in processes:
                process.stop()


async def _run_checks(
    prom: PrometheusServer,
    processes: list[Process],
    targets: dict[str, str],
    broker: EmbeddedBroker,
    oneroster: DevServer,
    envelopes: list[dict[str, Any]],
) -> None:
    await _eventually(prom, 'count(up{job=~"caliper-.*"} == 1) == 4', 15)
    statuses = await _send_traffic(
        f"http://{targets['caliper-ingest']}",
        envelopes,
        oneroster,
    )
    assert statuses.count(200) >= 20, statuses
    await _produce_malformed_record(broker.bootstrap_servers)
    for expression in (
        "sum(caliper_aggregator_facts_total) > 0",
        "sum(caliper_oneroster_results_written_total) > 0",
        "sum(caliper_oneroster_retries_total) > 0",
        "sum(caliper_oneroster_dead_letters_total) > 0",
        "sum(caliper_aggregator_end_to_end_latency_seconds_count) > 0",
    ):
        await _eventually(prom, expression, 30)
    await asyncio.sleep(3)  # a few scrapes after the last change: rate() has two points
    for process in processes:
        process.check_alive()

    failures: list[str] = []
    for title, expression in dashboard_targets():
        query = dashboard_query(expression, RATE_INTERVAL)
        result = await prom.query(query)  # a PromQL error fails here
        if not result and not metric_names_in(query) & PENDING_METRICS:
            failures.append(f"panel {title!r}: no data for {query}")
    for rule in alert_rules():
        result = await prom.query(rule["expr"])
        should_fire = rule["alert"] in EXPECTED_ALERTS
        if bool(result) != should_fire:
            failures.append(f"alert {rule['alert']}: expression gave {result}")
    assert not failures, "\n".join(failures)

    # The rule engine agrees: the expected alerts are active in their state, no others.
    for _ in range(20):  # rules run every second; give them a few rounds
        if (active := await prom.alerts()) == EXPECTED_ALERTS:
            break
        await asyncio.sleep(0.5)
    assert active == EXPECTED_ALERTS
