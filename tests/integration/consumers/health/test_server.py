"""The health server over real TCP, around a stand-in consumer (its readiness and
progress are what the test sets): statuses, methods, slow checks, bad clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from consumers.health.progress import Progress
from consumers.health.server import READY_CHECK_TIMEOUT_S, HealthServer

pytestmark = pytest.mark.integration


class StandIn:
    def __init__(self) -> None:
        self.progress = Progress(0.2)
        self.reason: str | None = "consumer not started"
        self.check_delay_s = 0.0

    async def not_ready(self) -> str | None:
        await asyncio.sleep(self.check_delay_s)
        return self.reason


@pytest.fixture
async def served() -> AsyncIterator[tuple[StandIn, str]]:
    consumer = StandIn()
    server = HealthServer(consumer, host="127.0.0.1", port=0)
    await server.start()
    try:
        yield consumer, f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()


async def test_liveness_fails_only_when_stalled_with_partitions(
    served: tuple[StandIn, str],
) -> None:
    consumer, url = served
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        assert (await client.get("/healthz")).status_code == 200
        await asyncio.sleep(0.3)
        assert (await client.get("/healthz")).status_code == 200  # no partitions: idle is fine
        consumer.progress.assigned([0, 1])
        await asyncio.sleep(0.3)
        answer = await client.get("/healthz")
        assert answer.status_code == 503
        assert answer.text.startswith("stalled: no progress for 0.")
        assert "2 partition(s)" in answer.text
        consumer.progress.moved()
        answer = await client.get("/healthz")
        assert (answer.status_code, answer.text) == (200, "ok\n")
        assert answer.headers["cache-control"] == "no-store"


async def test_readiness_says_why_and_times_out(served: tuple[StandIn, str]) -> None:
    consumer, url = served
    async with httpx.AsyncClient(base_url=url, timeout=5) as client:
        answer = await client.get("/readyz")
        assert (answer.status_code, answer.text) == (503, "not ready: consumer not started\n")
        consumer.reason = None
        assert (await client.get("/readyz?verbose")).status_code == 200
        consumer.check_delay_s = READY_CHECK_TIMEOUT_S + 1
        answer = await client.get("/readyz")
        assert answer.status_code == 503
        assert "readiness check took over" in answer.text
        # The check is what was slow, not the loop: liveness still answers.
        assert (await client.get("/healthz")).status_code == 200


async def test_other_paths_methods_and_head(served: tuple[StandIn, str]) -> None:
    _, url = served
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        assert (await client.get("/metrics")).status_code == 404
        assert (await client.post("/healthz")).status_code == 405
        head = await client.head("/healthz")
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["content-length"] == "3"


async def test_a_garbage_or_silent_client_does_not_block_others(
    served: tuple[StandIn, str],
) -> None:
    _, url = served
    port = int(url.rsplit(":", 1)[1])
    _, silent = await asyncio.open_connection("127.0.0.1", port)  # sends nothing
    reader, garbage = await asyncio.open_connection("127.0.0.1", port)
    garbage.write(b"\x00\x01 nonsense\r\n\r\n")
    await garbage.drain()
    assert await asyncio.wait_for(reader.read(), 2) == b""  # closed without an answer
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        assert (await client.get("/healthz")).status_code == 200
    for writer in (silent, garbage):
        writer.close()
        await writer.wait_closed()
