"""`caliper-pipeline up` as a user runs it: lines printed, the curl works, Ctrl-C cleans up."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration

COMMAND = Path(sys.executable).parent / "caliper-pipeline"


def test_up_prints_addresses_and_curl_then_stops_cleanly() -> None:
    env = {**os.environ, "CALIPER_PORT": "0", "CALIPER_KAFKA_PORT": "0"}
    with subprocess.Popen(
        [str(COMMAND), "up"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True
    ) as process:
        code, kafka_port = _drive(process)
    assert code == 0
    # No broker left listening: the port is free again.
    broker = subprocess.run(
        ["pgrep", "-f", f"tcp://127.0.0.1:{kafka_port}"], capture_output=True, check=False
    )
    assert broker.stdout == b""


def _drive(process: subprocess.Popen[str]) -> tuple[int, int]:
    kafka_port = 0
    try:
        assert process.stdout is not None
        lines = dict(process.stdout.readline().rstrip("\n").split(": ", 1) for _ in range(3))
        assert lines["front door"].startswith("http://127.0.0.1:")
        assert lines["kafka"].startswith("127.0.0.1:")
        curl = shlex.split(lines["try it"])
        payload = curl[curl.index("-d") + 1]
        answer = httpx.post(
            f"{lines['front door']}/caliper/event",
            content=payload,
            headers={"content-type": "application/json"},
        )
        assert answer.status_code == 200, answer.text
        kafka_port = int(lines["kafka"].rsplit(":", 1)[1])
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=20)
    return code, kafka_port
