"""`caliper-pipeline up` as the benchmark's server: the front door inside the whole
pipeline, its aggregator and writer consuming every accepted event.

`up` runs each part as a child process; the front door child is pinned alone to the
server core, and `up` itself, the broker and the consumers to the other core, as a
two-core machine would give them out in production.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from benchmarks.cpus import allowed, cpu_seconds, pin

_COMMAND: Final = Path(sys.executable).parent / "caliper-pipeline"
CONSUMERS: Final = ("aggregator", "results writer")
SETTLED_CPU_S: Final = 0.03  # a consumer using less per second than this has caught up


class UpProcess:
    """`up` on free ports with its own data dir, trusting the benchmark's issuer."""

    def __init__(
        self,
        *,
        issuer_dir: Path | None,
        server: frozenset[int],
        others: frozenset[int],
        env: dict[str, str] | None = None,
    ):
        self.server_cpus = server
        self.other_cpus = others
        self._issuer_dir = issuer_dir
        self._extra_env = env or {}
        self._data = tempfile.TemporaryDirectory(prefix="caliper-bench-up-")
        self._log = Path(self._data.name) / "up.log"
        self._process: subprocess.Popen[str] | None = None
        self.url = ""
        self.bootstrap = ""
        self.pids: dict[str, int] = {}

    def start(self, timeout_s: float = 120.0) -> None:
        env = {
            **os.environ,
            "CALIPER_PORT": "0",
            "CALIPER_KAFKA_PORT": "0",
            "CALIPER_ONEROSTER_DEV_PORT": "0",
            "CALIPER_DATA_DIR": str(Path(self._data.name) / "data"),
            "CALIPER_ISSUER_DIR": str(self._issuer_dir or Path(self._data.name) / "issuer"),
            "CALIPER_AUTH_ENABLED": "true" if self._issuer_dir is not None else "false",
            "CALIPER_LOG_LEVEL": "WARNING",
            **self._extra_env,
        }
        with self._log.open("w") as log:
            self._process = subprocess.Popen(
                [str(_COMMAND), "up"], stdout=subprocess.PIPE, stderr=log, env=env, text=True
            )
        assert self._process.stdout is not None
        deadline = time.monotonic() + timeout_s
        lines: dict[str, str] = {}
        while "try it" not in lines:
            if time.monotonic() > deadline or self._process.poll() is not None:
                raise RuntimeError(f"`up` did not start: {self._log.read_text()[-2000:]}")
            name, _, value = self._process.stdout.readline().rstrip("\n").partition(": ")
            lines[name] = value
        self.url, self.bootstrap = lines["front door"], lines["kafka"]
        self.pids = self._children()
        self._pin()

    def _children(self) -> dict[str, int]:
        """The children `up` started (its log names them) and the broker (the one left)."""
        assert self._process is not None
        # `up` logs at the level it is given; read the pids from the kernel instead.
        listed = subprocess.run(
            ["pgrep", "-P", str(self._process.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        named: dict[str, int] = {}
        for pid in map(int, listed):
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            if "up_front_door" in command:
                named["front door"] = pid
            elif " aggregate" in command:
                named["aggregator"] = pid
            elif " results" in command:
                named["results writer"] = pid
            elif " analytics" in command:
                named["analytics"] = pid
            else:
                named.setdefault("broker", pid)
                if named["broker"] != pid:
                    raise RuntimeError(f"two children of `up` look like the broker: {command}")
        if set(named) != {"front door", "aggregator", "results writer", "analytics", "broker"}:
            raise RuntimeError(f"unexpected children of `up`: {named}")
        return named

    def _pin(self) -> None:
        assert self._process is not None
        pin(self._process.pid, self.other_cpus)
        for name, pid in self.pids.items():
            pin(pid, self.server_cpus if name == "front door" else self.other_cpus)
        door = self.pids["front door"]
        if set(allowed(door)) != self.server_cpus:
            raise RuntimeError(f"front door threads may run on CPUs {allowed(door)}")

    @property
    def meter_pids(self) -> dict[str, int]:
        """The processes by the names the benchmark's CPU meter reports (`server` first)."""
        pids = dict(self.pids)
        return {"server": pids.pop("front door"), **pids}

    async def caught_up(self, timeout_s: float = 300.0) -> dict[str, float]:
        """CPU seconds of every child once neither consumer is working any more: they
        have read everything the front door accepted."""
        last: dict[str, float] | None = None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            now = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
            if last is not None and all(now[n] - last[n] < SETTLED_CPU_S for n in CONSUMERS):
                return now
            if loop.time() > deadline:
                raise RuntimeError("the consumers did not catch up")
            last = now
            await asyncio.sleep(1.0)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None and process.stdout is not None:
            process.stdout.close()
        self._data.cleanup()

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
