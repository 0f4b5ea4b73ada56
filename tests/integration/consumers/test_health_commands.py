"""`caliper-pipeline aggregate` and `results` as processes serve /healthz and /readyz
when `HEALTH_PORT` is set (0 here: a free port, read from the log line)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from caliper_pipeline.dev.oneroster import DEV_CLIENT_ID, DEV_CLIENT_SECRET, DevServer
from tests.integration.consumers.probes import status, wait_status

pytestmark = pytest.mark.integration

_HEALTH_LINE = re.compile(rb"health on :(\d+) ")


@pytest.fixture
async def oneroster() -> AsyncIterator[DevServer]:
    async with DevServer(port=0) as server:
        yield server


async def serve(command: str, env: dict[str, str]) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "caliper_pipeline", command,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    seen = b""
    while (found := _HEALTH_LINE.search(seen)) is None:
        line = await asyncio.wait_for(process.stderr.readline(), 20)
        assert line, f"{command} exited before serving health: {seen.decode()}"
        seen += line
    return process, f"http://127.0.0.1:{int(found.group(1))}"


async def stop(process: asyncio.subprocess.Process) -> int:
    try:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode


async def test_the_aggregate_command_serves_health(bootstrap_servers: str, tmp_path: Path) -> None:
    prefix = f"h{uuid.uuid4().hex[:8]}"
    env = {
        "CALIPER_AGGREGATOR_KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
        "CALIPER_AGGREGATOR_STORE_URL": f"sqlite://{tmp_path}/a.sqlite3",
        "CALIPER_AGGREGATOR_HEALTH_PORT": "0",
        "CALIPER_AGGREGATOR_GROUP_ID": f"{prefix}.group",
        "CALIPER_AGGREGATOR_EVENTS_TOPIC": f"{prefix}.events",
        "CALIPER_AGGREGATOR_FACTS_TOPIC": f"{prefix}.facts",
        "CALIPER_AGGREGATOR_DAILY_TOPIC": f"{prefix}.daily",
        "CALIPER_AGGREGATOR_CONFLICTS_TOPIC": f"{prefix}.conflicts",
        "CALIPER_AGGREGATOR_SESSION_TIMEOUT_MS": "3000",
        "CALIPER_AGGREGATOR_HEARTBEAT_INTERVAL_MS": "1000",
    }
    process, url = await serve("aggregate", env)
    try:
        assert await wait_status(url, "/readyz", 200) == (200, "ready\n")
        assert await status(url, "/healthz") == (200, "ok\n")
    finally:
        assert await stop(process) == 0


async def test_the_results_command_serves_health(
    bootstrap_servers: str, oneroster: DevServer
) -> None:
    prefix = f"h{uuid.uuid4().hex[:8]}"
    env = {
        "CALIPER_ONEROSTER_KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
        "CALIPER_ONEROSTER_HEALTH_PORT": "0",
        "CALIPER_ONEROSTER_GROUP_ID": f"{prefix}.group",
        "CALIPER_ONEROSTER_EVENTS_TOPIC": f"{prefix}.events",
        "CALIPER_ONEROSTER_DLQ_TOPIC": f"{prefix}.dlq",
        "CALIPER_ONEROSTER_BASE_URL": oneroster.url,
        "CALIPER_ONEROSTER_TOKEN_URL": oneroster.token_url,
        "CALIPER_ONEROSTER_CLIENT_ID": DEV_CLIENT_ID,
        "CALIPER_ONEROSTER_CLIENT_SECRET": DEV_CLIENT_SECRET,
    }
    process, url = await serve("results", env)
    try:
        assert await wait_status(url, "/readyz", 200) == (200, "ready\n")
        assert await status(url, "/healthz") == (200, "ok\n")
    finally:
        assert await stop(process) == 0
