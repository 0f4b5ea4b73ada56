"""`/healthz` and `/readyz` served by the consumer's own event loop.

prometheus_client serves `/metrics` from a thread of its own, so it answers while the
event loop hangs; this server is a plain asyncio server on the loop that runs the
consumer: a hung loop answers nothing (the probe times out), a loop that runs but
makes no progress answers 503. Stdlib only, one request per connection.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Final

from consumers.health.progress import Monitored

logger = logging.getLogger(__name__)

# All interfaces, as prometheus_client's /metrics server: the kubelet probes the pod IP.
HEALTH_HOST: Final = "0.0.0.0"
# A readiness check slower than this fails (a hanging store is not reachable).
READY_CHECK_TIMEOUT_S: Final = 1.0
# A client that does not send its request line and headers in time is dropped.
_READ_TIMEOUT_S: Final = 5.0
_MAX_HEADER_LINES: Final = 100
_REASONS: Final = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Unavailable"}


class HealthServer:
    """`start()` binds (port 0: a free one, see `port`), `stop()` closes."""

    def __init__(self, service: Monitored, *, host: str = HEALTH_HOST, port: int = 0) -> None:
        self._service = service
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def listening(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("health server is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._handle, self._host, self._port, limit=8192)
        logger.info("health on :%d (/healthz, /readyz)", self.port)

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await server.wait_closed()

    async def live(self) -> tuple[int, str]:
        stalled = self._service.progress.stalled_for()
        if stalled is None:
            return 200, "ok"
        count = len(self._service.progress.partitions)
        return 503, f"stalled: no progress for {stalled:.1f} s with {count} partition(s) assigned"

    async def ready(self) -> tuple[int, str]:
        try:
            reason = await asyncio.wait_for(self._service.not_ready(), READY_CHECK_TIMEOUT_S)
        except TimeoutError:
            reason = f"readiness check took over {READY_CHECK_TIMEOUT_S} s"
        return (200, "ready") if reason is None else (503, f"not ready: {reason}")

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            request = await asyncio.wait_for(_read_request(reader), _READ_TIMEOUT_S)
            if request is None:
                return
            method, path = request
            status, body = await self._answer(method, path)
            writer.write(_response(status, body, head=method == "HEAD"))
            await writer.drain()
        except (TimeoutError, ConnectionError, ValueError):
            return  # a client gone or too slow: nothing to answer
        finally:
            self._handlers.discard(task)
            writer.close()
            with suppress(ConnectionError):
                await writer.wait_closed()

    async def _answer(self, method: str, path: str) -> tuple[int, str]:
        if path not in {"/healthz", "/readyz"}:
            return 404, "not found"
        if method not in {"GET", "HEAD"}:
            return 405, "GET or HEAD"
        if path == "/healthz":
            status, body = await self.live()
            if status != 200:
                logger.warning("/healthz: %d %s", status, body)
            return status, body
        return await self.ready()


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str] | None:
    """(method, path) from the request line; the headers are read and ignored."""
    line = await reader.readline()
    parts = line.decode("latin-1").split()
    if len(parts) != 3:
        return None
    for _ in range(_MAX_HEADER_LINES):
        if (await reader.readline()) in {b"\r\n", b"\n", b""}:
            break
    return parts[0].upper(), parts[1].split("?", 1)[0]


def _response(status: int, body: str, *, head: bool) -> bytes:
    payload = f"{body}\n".encode()
    header = (
        f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(payload)}\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n\r\n"
    )
    return header.encode("latin-1") + (b"" if head else payload)
