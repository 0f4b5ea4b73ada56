"""Start and stop the dev OneRoster server in the running event loop (tests, `up`).

It prints nothing and installs no signal handlers: whoever embeds it owns both.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Generator
from types import TracebackType
from typing import Final, Self

import uvicorn

from caliper_pipeline.dev.oneroster.app import TOKEN_PATH, DevOneRoster

DEV_CLIENT_ID: Final = "dev-client"
DEV_CLIENT_SECRET: Final = "dev-secret"
_START_TIMEOUT_S: Final = 10.0


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # The embedding process (the test, `up`) handles signals, not us.
        yield


class DevServer:
    """`await start()` then `url`/`token_url`; `await stop()`; or `async with`.

    `port=0` picks a free port. `app` gives in-process access to what was stored.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str = DEV_CLIENT_ID,
        client_secret: str = DEV_CLIENT_SECRET,
        token_ttl_s: float = 3600.0,
    ) -> None:
        self.host = host
        self.port = port
        self.app = DevOneRoster(
            client_id=client_id, client_secret=client_secret, token_ttl_s=token_ttl_s
        )
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    async def start(self) -> None:
        if self._task is not None:
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app.asgi,
            lifespan="off",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        server = _QuietServer(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _START_TIMEOUT_S
        # uvicorn offers no "started" event to wait on; a short poll is enough once.
        while not server.started:
            if task.done() or loop.time() > deadline:
                task.cancel()
                sock.close()
                raise RuntimeError(f"OneRoster dev server did not start on {self.url}")
            await asyncio.sleep(0.01)
        self._server, self._task = server, task

    async def stop(self) -> None:
        server, task = self._server, self._task
        self._server = self._task = None
        if server is None or task is None:
            return
        server.should_exit = True
        await task

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
