"""A small HTTP/1.1 keep-alive load generator on raw asyncio streams (uvloop).

httpx spends more CPU per request than the server under test; this client does only
what a benchmark needs: write a prebuilt request, read the status line, headers and
a Content-Length body, and time it.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    latencies_s: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies_s:
            return float("nan")
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def build_request(host: str, port: int, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def run_load(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    connections: int,
    duration_s: float,
    max_requests: int,
    rate_per_s: float | None = None,
) -> LoadResult:
    """Closed loop (each connection sends as soon as it has an answer) or, with
    `rate_per_s`, an open-loop schedule: latency counts from the scheduled send time,
    so a server that falls behind is not flattered (no coordinated omission)."""
    result = LoadResult()
    counter = itertools.count()
    started = time.perf_counter()
    deadline = started + duration_s

    async def connection(index: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            step = connections / rate_per_s if rate_per_s else 0.0
            scheduled = started + index * (step / connections if step else 0.0)
            while True:
                number = next(counter)
                if number >= max_requests:
                    return
                if step:
                    scheduled += step
                    delay = scheduled - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    begin = scheduled
                else:
                    begin = time.perf_counter()
                if begin >= deadline:
                    return
                writer.write(requests[number % len(requests)])
                status = await _read_response(reader)
                result.latencies_s.append(time.perf_counter() - begin)
                result.statuses[status] = result.statuses.get(status, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(connection(i) for i in range(connections)))
    result.elapsed_s = time.perf_counter() - started
    return result
