"""The processes of benchmarks/http.py: a server subprocess pinned to its core, the
local issuer whose token the load generator sends, and a per-run CPU meter."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from benchmarks.cpus import allowed, core_times, cpu_seconds, pin
from caliper_pipeline.dev.issuer import LocalIssuer
from caliper_pipeline.dev.settings import DevSettings
from ingest.auth.tokens import SCOPE_EVENT_CREATE

HOST: Final = "127.0.0.1"
CLIENT_ID: Final = "bench-client"
_ROOT: Final = Path(__file__).resolve().parents[1]


class Issuer:
    """A throw-away local issuer (a key in a temporary directory) and one token of it,
    reused by every connection as an SDK reuses its token."""

    def __init__(self) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="caliper-bench-issuer-")
        self.directory = Path(self._directory.name)
        issuer = LocalIssuer.from_settings(DevSettings(issuer_dir=self.directory), audience=None)
        self.token = issuer.issue(CLIENT_ID, [SCOPE_EVENT_CREATE]).access_token

    def close(self) -> None:
        self._directory.cleanup()


class ServerProcess:
    """`python -m benchmarks.http_server ...` on `cpus`, every thread checked."""

    def __init__(
        self,
        kind: str,
        *,
        http: str,
        port: int,
        cpus: frozenset[int],
        bootstrap: str = "",
        topic: str = "",
        issuer_dir: Path | None = None,
    ) -> None:
        self.port = port
        self.cpus = cpus
        self.command = [
            sys.executable, "-m", "benchmarks.http_server", kind,
            "--http", http, "--port", str(port),
            "--cpus", ",".join(str(c) for c in sorted(cpus)),
            "--bootstrap", bootstrap, "--topic", topic,
        ]  # fmt: skip
        if issuer_dir is not None:
            self.command += ["--issuer-dir", str(issuer_dir)]
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    async def start(self, timeout_s: float = 60.0) -> None:
        self._process = self._spawn()
        await wait_healthy(self.port, self._process, timeout_s)
        # Threads started at startup (granian's Rust runtime...) get the same mask.
        pin(self.pid, self.cpus)
        on = allowed(self.pid)
        if set(on) != self.cpus:
            raise RuntimeError(f"server threads may run on CPUs {on}, not {sorted(self.cpus)}")

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.command, cwd=_ROOT, stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    async def __aenter__(self) -> Self:
        try:
            await self.start()
        except BaseException:
            self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


async def wait_healthy(port: int, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Until GET /healthz answers (any status: the trivial app answers 200 to all)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited at start with {process.returncode}")
        try:
            reader, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        try:
            writer.write(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            await asyncio.sleep(0.1)
            continue
        finally:
            writer.close()
        if head.startswith(b"HTTP/1.1 "):
            return
    raise RuntimeError(f"server on port {port} did not answer within {timeout_s} s")


class CpuMeter:
    """Between `start()` and `shares()`: the share of one core each named process used,
    and how busy each core of the layout was (`core N`, whoever ran there)."""

    def __init__(self, pids: Mapping[str, int | None], cores: Iterable[int]) -> None:
        self._pids = {name: pid for name, pid in pids.items() if pid is not None}
        self._cores = sorted(cores)
        self._before: dict[str, float] = {}
        self._cores_before: dict[int, tuple[int, int]] = {}
        self._started = 0.0

    def start(self) -> None:
        self._before = {name: cpu_seconds(pid) for name, pid in self._pids.items()}
        self._cores_before = core_times()
        self._started = time.perf_counter()

    def shares(self) -> dict[str, float]:
        elapsed = time.perf_counter() - self._started
        shares = {
            name: (cpu_seconds(pid) - self._before[name]) / elapsed
            for name, pid in self._pids.items()
        }
        now = core_times()
        for core in self._cores:
            busy = now[core][0] - self._cores_before[core][0]
            total = now[core][1] - self._cores_before[core][1]
            shares[f"core {core}"] = busy / total if total else 0.0
        return shares
