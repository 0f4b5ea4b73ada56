"""Run the front door under uvicorn (uvloop + httptools) with a graceful shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import signal
import socket
from collections.abc import Callable, Generator
from typing import Final

import uvicorn
from fastapi import FastAPI

from ingest.settings import Settings

logger = logging.getLogger(__name__)

_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)
GC_GEN0_THRESHOLD: Final = 50_000


class Server(uvicorn.Server):
    """uvicorn's server, with signal handling that suits an embedding command.

    uvicorn re-raises a captured SIGINT after shutting down, which would cut short
    whatever the command still has to stop (the embedded broker). Here the first
    signal starts the graceful shutdown (stop accepting, finish in-flight requests
    and their acks, flush the producer, within the timeout); a second forces exit.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        loop = asyncio.get_running_loop()
        for sig in _SIGNALS:
            loop.add_signal_handler(sig, self._on_signal, sig)
        try:
            yield
        finally:
            for sig in _SIGNALS:
                loop.remove_signal_handler(sig)

    def _on_signal(self, sig: int) -> None:
        if self.should_exit:
            logger.warning("second %s: forcing exit", signal.Signals(sig).name)
            self.force_exit = True
        else:
            logger.info("%s: shutting down gracefully", signal.Signals(sig).name)
            self.should_exit = True


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
        http="httptools",
        lifespan="on",
        log_config=None,  # keep the command's logging configuration
        access_log=settings.access_log,
        timeout_graceful_shutdown=math.ceil(settings.shutdown_timeout_s),
        # Clients keep connections open between envelopes; bound idle ones anyway.
        timeout_keep_alive=30,
        backlog=4096,
    )
    return Server(config)


async def serve(
    server: Server,
    sock: socket.socket,
    *,
    on_started: Callable[[], None] | None = None,
) -> bool:
    """Serve until a signal; False when startup failed (e.g. no broker)."""
    # Each 100-event envelope allocates thousands of short-lived objects; with the
    # default gen-0 threshold (700) the collector ran during most orjson.loads calls
    # (~18% of CPU in a profile). Long-lived startup objects are frozen out of it.
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, 20, 20)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    if on_started is not None:
        # uvicorn offers no "started" event to wait on; a short poll is enough once.
        while not server.started and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        if server.started:
            on_started()
    await task
    return server.started
