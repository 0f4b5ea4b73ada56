"""The load generator counts every answer, also when answers arrive in pieces and the
server closes connections (as ours does after `max_requests_per_connection`)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from benchmarks.loadgen import build_request, run_load

pytestmark = pytest.mark.integration

CLOSE_EVERY = 5


async def test_statuses_counted_across_fragments_and_reconnects() -> None:
    served = itertools.count(1)
    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                number = next(served)
                status = b"200 OK" if number % 3 else b"400 Bad Request"
                close = number % CLOSE_EVERY == 0
                body = b'{"status":"x"}'
                answer = (
                    b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
                    + (b"Connection: close\r\n" if close else b"")
                    + b"Content-Length: %d\r\n\r\n" % len(body) + body
                )  # fmt: skip
                # In three writes, split inside the head and inside the body.
                for piece in (answer[:10], answer[10:-5], answer[-5:]):
                    writer.write(piece)
                    await writer.drain()
                    await asyncio.sleep(0)
                if close:
                    break
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = build_request("127.0.0.1", port, "/caliper/event", b'{"a":1}', headers=[("X", "y")])
    try:
        result = await run_load(
            "127.0.0.1", port, [request], connections=3, duration_s=20, max_requests=60
        )
    finally:
        server.close()
        await server.wait_closed()
    assert result.statuses == {200: 40, 400: 20}
    assert len(result.latencies_s) == 60
    assert connections >= 60 // CLOSE_EVERY  # reconnected after every close


async def test_open_loop_sends_every_scheduled_request_of_the_run() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = build_request("127.0.0.1", port, "/caliper/event", b"{}")
    try:
        # 40 requests/s for 0.49 s over 4 connections: sends at 0, 25 ms, ... 475 ms.
        result = await run_load(
            "127.0.0.1",
            port,
            [request],
            connections=4,
            duration_s=0.49,
            max_requests=1000,
            rate_per_s=40,
        )
    finally:
        server.close()
        await server.wait_closed()
    # Scheduled times, not answer times, decide what is sent: exactly rate x duration.
    assert result.statuses == {200: 20}
