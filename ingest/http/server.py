"""Run the front door under uvicorn (uvloop + httptools, with the request-reading limits
of ingest.http.edge) with a graceful shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import socket
from collections.abc import Generator
from typing import Final

import uvicorn
from fastapi import FastAPI

from ingest.http.edge import EdgeLimits, guarded_protocol
from ingest.settings import Settings

logger = logging.getLogger(__name__)

GC_GEN0_THRESHOLD: Final = 50_000


class Server(uvicorn.Server):
    """uvicorn's server without its own signal handling: the process runtime owns the
    signals and asks the front door to stop through `FrontDoorServer.run`'s event."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def bind(host: str, port: int, *, fallback: bool) -> socket.socket:
    """Bind the listening socket ourselves, so the port we print is the port we serve."""
    # proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted connections only
    # when it can tell the socket is TCP; without it every answer waits ~40 ms for the
    # client's delayed ACK (Nagle), which caps a keep-alive connection at ~25 req/s.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        if not fallback:
            sock.close()
            raise
        logger.warning("port %d is busy; using a free port", port)
        sock.bind((host, 0))
    sock.set_inheritable(True)
    return sock


def make_server(app: FastAPI, settings: Settings) -> Server:
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http=guarded_protocol(
            EdgeLimits(
                max_header_bytes=settings.max_header_bytes,
                header_timeout_s=settings.header_timeout_s,
                body_timeout_s=settings.body_timeout_s,
                max_connections=settings.max_connections,
                max_requests_per_connection=settings.max_requests_per_connection,
            )
        ),
        lifespan="on",
        log_config=None,  # keep the command's logging configuration
        access_log=settings.access_log,
        timeout_graceful_shutdown=math.ceil(settings.shutdown_timeout_s),
        # Clients keep connections open between envelopes; bound idle ones anyway.
        timeout_keep_alive=settings.keep_alive_timeout_s,
        backlog=4096,
    )
    return Server(config)


class FrontDoorStartError(Exception):
    """uvicorn did not start (the lifespan failed: no broker, no issuer keys...)."""


class FrontDoorServer:
    """The front door as a service: `start()` serves, `run(stop)` until `stop`, then a
    graceful shutdown (stop accepting, finish in-flight requests and their acks, flush
    the producer, within the settings' timeout); cancelling `run` forces exit."""

    name = "front door"

    def __init__(self, app: FastAPI, settings: Settings, sock: socket.socket) -> None:
        self.server = make_server(app, settings)
        self.sock = sock
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"http://{host}:{port}"

    async def start(self) -> None:
        if self._task is not None:
            return
        # Each 100-event envelope allocates thousands of short-lived objects; with the
        # default gen-0 threshold (700) the collector ran during most orjson.loads calls
        # (~18% of CPU in a profile). Long-lived startup objects are frozen out of it.
        gc.freeze()
        gc.set_threshold(GC_GEN0_THRESHOLD, 20, 20)
        task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        self._task = task
        # uvicorn offers no "started" event to wait on; a short poll is enough once.
        while not self.server.started and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        if not self.server.started:
            await task
            raise FrontDoorStartError("the front door did not start (see the log above)")

    async def run(self, stop: asyncio.Event) -> None:
        task = self._task
        if task is None:
            raise RuntimeError("front door is not started")
        waiting = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait([task, waiting], return_when=asyncio.FIRST_COMPLETED)
            self.server.should_exit = True
            await asyncio.shield(task)
        except asyncio.CancelledError:
            # Forced: skip waiting for connections and the lifespan's flush.
            self.server.should_exit = self.server.force_exit = True
            await task
            raise
        finally:
            waiting.cancel()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            self.server.should_exit = True
            await task
        self.sock.close()
