"""The pipeline as it is deployed, on 127.0.0.1: each process from its own entry point
and environment variables (as in compose), plus a real Prometheus scraping them with
deploy/prometheus's scrape config and alert rules.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

import httpx
import yaml

from tests.deploy.manifests import ALERTS, SCRAPE_CONFIG

_START_TIMEOUT_S: Final = 30.0
_STOP_TIMEOUT_S: Final = 15.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Process:
    """A child process with its output in a log file; `stop()` sends SIGTERM, then kills."""

    def __init__(self, name: str, command: list[str], env: Mapping[str, str], logs: Path):
        self.name = name
        self.log = logs / f"{name}.log"
        # Only the variables given here reach our processes: none from this shell.
        base = {k: v for k, v in os.environ.items() if not k.startswith("CALIPER_")}
        with self.log.open("wb") as out:
            self._popen = subprocess.Popen(
                command,
                env={**base, **env},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def check_alive(self) -> None:
        if self._popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited {self._popen.returncode}: {self.tail()}")

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self._popen.poll() is not None:
            return
        self._popen.terminate()
        try:
            self._popen.wait(_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._popen.kill()
            self._popen.wait()


async def wait_http_ok(process: Process, url: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _START_TIMEOUT_S
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            process.check_alive()
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if loop.time() > deadline:
                raise RuntimeError(f"{process.name}: {url} not 200 in time\n{process.tail()}")
            await asyncio.sleep(0.1)


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def prometheus_config(targets: Mapping[str, str], interval: str) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with these targets (job -> host:port) and timing."""
    config: dict[str, Any] = yaml.safe_load(SCRAPE_CONFIG.read_text())
    config["global"] = {"scrape_interval": interval, "evaluation_interval": interval}
    config["rule_files"] = [str(ALERTS)]
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert jobs == set(targets), f"scrape config jobs {jobs} != {set(targets)}"
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [targets[job["job_name"]]]}]
    return config


class PrometheusServer:
    """`prometheus` on 127.0.0.1, its data in `directory`; `query()` via the HTTP API."""

    def __init__(self, binary: Path, directory: Path, config: dict[str, Any]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config_file = directory / "prometheus.yml"
        config_file.write_text(yaml.safe_dump(config))
        (directory / "data").mkdir()
        self._process = Process(
            "prometheus",
            [
                str(binary),
                f"--config.file={config_file}",
                f"--storage.tsdb.path={directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            {},
            directory,
        )
        self._client = httpx.AsyncClient(base_url=self.url, timeout=10.0)

    async def __aenter__(self) -> Self:
        await wait_http_ok(self._process, f"{self.url}/-/ready")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._client.aclose()
        self._process.stop()

    async def query(self, expression: str) -> list[dict[str, Any]]:
        """An instant query's result vector; raises on a PromQL or server error."""
        answer = await self._client.get("/api/v1/query", params={"query": expression})
        body = answer.json()
        if answer.status_code != 200 or body.get("status") != "success":
            raise AssertionError(f"{expression!r}: {answer.status_code} {body}")
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    async def alerts(self) -> dict[str, str]:
        """Active alerts: name -> state (pending or firing)."""
        body = (await self._client.get("/api/v1/alerts")).json()
        return {a["labels"]["alertname"]: a["state"] for a in body["data"]["alerts"]}
