"""When a consumer idles between polls: only after a batch that was neither empty nor full."""

from __future__ import annotations

import asyncio

import pytest

from consumers.polling import idle_between_polls


async def waited(batch: int, full: int, idle_ms: int, stop: asyncio.Event | None = None) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    await idle_between_polls(stop or asyncio.Event(), batch, full, idle_ms)
    return loop.time() - started


async def test_a_batch_that_was_not_full_is_followed_by_the_idle() -> None:
    assert await waited(3, 500, 100) >= 0.1


@pytest.mark.parametrize(
    ("batch", "full", "idle_ms"),
    [(500, 500, 60_000), (0, 500, 60_000), (3, 500, 0)],
    ids=["full: a backlog, poll at once", "empty: the poll already waited", "idle off"],
)
async def test_no_idle(batch: int, full: int, idle_ms: int) -> None:
    assert await waited(batch, full, idle_ms) < 1


async def test_a_stop_ends_the_idle() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, stop.set)
    assert await waited(3, 500, 60_000, stop) < 5
    assert await waited(3, 500, 60_000, stop) < 1  # already stopping: no idle at all
