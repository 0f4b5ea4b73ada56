"""The analytics app under uvicorn, as a service of caliper_pipeline.runtime."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Generator

import uvicorn
from fastapi import FastAPI


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the process runtime owns the signals.
    uvicorn's would see SIGTERM beside the runtime's, then raise it once more on exit,
    which the runtime took for a second signal and forced the exit."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class AnalyticsStartError(Exception):
    """uvicorn did not start serving (the log says why)."""


class AnalyticsServer:
    name = "analytics"

    def __init__(self, app: FastAPI, sock: socket.socket, *, shutdown_timeout_s: float) -> None:
        config = uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=int(shutdown_timeout_s),
        )
        self.server = _Server(config)
        self.sock = sock
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"http://{host}:{port}"

    async def start(self) -> None:
        if self._task is not None:
            return
        task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        self._task = task
        while not self.server.started and not task.done():  # noqa: ASYNC110 (no event)
            await asyncio.sleep(0.02)
        if not self.server.started:
            await task
            raise AnalyticsStartError("the analytics service did not start (see the log)")

    async def run(self, stop: asyncio.Event) -> None:
        if self._task is None:
            raise RuntimeError("analytics is not started")
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait([self._task, stopping], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            self.server.should_exit = True

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            self.server.should_exit = True
            await task
        self.sock.close()
