"""What a kubelet and Prometheus see of a consumer: its health answers and lag series."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client import CollectorRegistry


async def status(url: str, path: str, *, timeout_s: float = 2.0) -> tuple[int, str]:
    async with httpx.AsyncClient(timeout=timeout_s) as client:
        answer = await client.get(f"{url}{path}")
    return answer.status_code, answer.text


async def wait_status(
    url: str, path: str, expected: int, *, timeout_s: float = 20.0
) -> tuple[int, str]:
    """Poll like a probe until `path` answers `expected`; returns that answer."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    seen: tuple[int, str] | None = None
    while loop.time() < deadline:
        seen = await status(url, path)
        if seen[0] == expected:
            return seen
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} never answered {expected}; last: {seen}")


def lag_series(registry: CollectorRegistry, name: str) -> set[int]:
    """The partitions with a `name` series, as /metrics would show them."""
    return {
        int(sample.labels["partition"])
        for metric in registry.collect()
        for sample in metric.samples
        if sample.name == name
    }
