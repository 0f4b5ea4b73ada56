"""A small HTTP/1.1 keep-alive load generator on asyncio protocols (uvloop).

httpx spends more CPU per request than the server under test; this client does only
what a benchmark needs: write a prebuilt request, parse the status line and the
Content-Length of the answer, skip its body, and time it. One request in flight per
connection (no pipelining: real clients do not pipeline). A protocol instead of
asyncio streams: about half the client CPU per request (no reader buffer copies, no
`readuntil` + `readexactly` pair of awaits).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, cast

# A status of 0 counts a request the connection failed under (reset, closed early).
FAILED: Final = 0
_CONTENT_LENGTH: Final = b"\r\ncontent-length:"
_CLOSE: Final = b"\r\nconnection: close"


@dataclass
class LoadResult:
    latencies_s: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def not_ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != 200)

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies_s:
            return float("nan")
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def build_request(
    host: str, port: int, path: str, body: bytes, *, headers: Sequence[tuple[str, str]] = ()
) -> bytes:
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\n{extra}Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class _Connection(asyncio.Protocol):
    """One keep-alive connection; `request()` writes and waits for the answer's status."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[int] | None = None
        self.closing = False  # the server said `Connection: close` or hung up

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self._buffer[: end + 2]).lower()
        at = head.find(_CONTENT_LENGTH)
        length = 0
        if at >= 0:
            stop = head.index(b"\r\n", at + 2)
            length = int(head[at + len(_CONTENT_LENGTH) : stop])
        total = end + 4 + length
        if len(self._buffer) < total:
            return
        if _CLOSE in head:
            self.closing = True
        del self._buffer[:total]
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(int(head[9:12]))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(FAILED)

    async def request(self, payload: bytes) -> int:
        assert self._transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(payload)
        return await self._waiter

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def _connect(host: str, port: int) -> _Connection:
    loop = asyncio.get_running_loop()
    _, connection = await loop.create_connection(_Connection, host, port)
    return connection


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
    latencies = result.latencies_s
    statuses = result.statuses
    counter = itertools.count()
    count = len(requests)
    started = time.perf_counter()
    deadline = started + duration_s
    clock = time.perf_counter

    async def one_connection(index: int) -> None:
        connection = await _connect(host, port)
        try:
            # Open loop: connection i sends at started + (i + k * connections) / rate.
            step = connections / rate_per_s if rate_per_s else 0.0
            scheduled = started + index * (step / connections)
            while True:
                number = next(counter)
                if number >= max_requests:
                    return
                if step:
                    delay = scheduled - clock()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    begin = scheduled
                    scheduled += step
                else:
                    begin = clock()
                if begin >= deadline:
                    return
                status = await connection.request(requests[number % count])
                latencies.append(clock() - begin)
                statuses[status] = statuses.get(status, 0) + 1
                if connection.closing:  # e.g. the server's requests-per-connection cap
                    connection.close()
                    connection = await _connect(host, port)
        finally:
            connection.close()

    await asyncio.gather(*(one_connection(i) for i in range(connections)))
    result.elapsed_s = time.perf_counter() - started
    return result
