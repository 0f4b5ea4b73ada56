"""`caliper-pipeline up` as a user runs it: lines printed, the curl works, Ctrl-C cleans up."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration

COMMAND = Path(sys.executable).parent / "caliper-pipeline"


def test_up_prints_addresses_and_curl_then_stops_cleanly(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CALIPER_PORT": "0",
        "CALIPER_KAFKA_PORT": "0",
        "CALIPER_ISSUER_DIR": str(tmp_path / "issuer"),
        "CALIPER_DATA_DIR": str(tmp_path / "data"),
        "CALIPER_ONEROSTER_DEV_PORT": "0",
    }
    with subprocess.Popen(
        [str(COMMAND), "up"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True
    ) as process:
        code, kafka_port = _drive(process, env, tmp_path)
    assert code == 0
    # No broker left listening: the port is free again.
    broker = subprocess.run(
        ["pgrep", "-f", f"tcp://127.0.0.1:{kafka_port}"], capture_output=True, check=False
    )
    assert broker.stdout == b""


def _read_lines(process: subprocess.Popen[str]) -> dict[str, str]:
    """`name: value` lines up to and including the `try it` line."""
    assert process.stdout is not None
    lines: dict[str, str] = {}
    while "try it" not in lines and len(lines) < 20:
        name, _, value = process.stdout.readline().rstrip("\n").partition(": ")
        lines[name] = value
    return lines


def _metric(url: str, name: str) -> float:
    for line in httpx.get(f"{url}/metrics").text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _drive(process: subprocess.Popen[str], env: dict[str, str], tmp_path: Path) -> tuple[int, int]:
    kafka_port = 0
    try:
        lines = _read_lines(process)
        url = lines["front door"]
        assert url.startswith("http://127.0.0.1:")
        assert lines["kafka"].startswith("127.0.0.1:")
        assert lines["oneroster"].startswith("http://127.0.0.1:")
        assert lines["data"] == str((tmp_path / "data" / "aggregator.sqlite3").resolve())
        assert lines["metrics"] == f"{url}/metrics"
        assert lines["token url"] == f"{url}/oauth2/token"
        # The printed line, as a user pastes it: gets a token, then posts with it.
        pasted = subprocess.run(
            ["bash", "-c", lines["try it"]], capture_output=True, text=True, timeout=20, check=True
        )
        assert '"status":"success"' in pasted.stdout, pasted.stdout + pasted.stderr
        # Without a token: refused. With `caliper-pipeline token`: accepted.
        curl = shlex.split(lines["try it"].split(" && ", 1)[1])
        payload = curl[curl.index("-d") + 1]
        headers = {"content-type": "application/json"}
        refused = httpx.post(f"{url}/caliper/event", content=payload, headers=headers)
        assert refused.status_code == 401
        token = subprocess.run(
            [str(COMMAND), "token"], capture_output=True, text=True, env=env, check=True
        ).stdout.strip()
        headers["authorization"] = f"Bearer {token}"
        answer = httpx.post(f"{url}/caliper/event", content=payload, headers=headers)
        assert answer.status_code == 200, answer.text
        # HTTP Basic client authentication, as the timeback-caliper SDK sends it.
        basic = httpx.post(
            lines["token url"],
            data={"grant_type": "client_credentials"},
            auth=(lines["client id"], lines["client secret"]),
        )
        assert basic.status_code == 200, basic.text
        # The whole pipeline runs: the aggregator counts the two distinct events' facts
        # (the pasted one and the token one share an id: the second is a duplicate).
        # The two posts may land in different batches: wait for both to be counted.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (
            _metric(url, "caliper_aggregator_facts_total") < 1
            or _metric(url, "caliper_aggregator_duplicates_total") < 1
        ):
            time.sleep(0.2)
        assert _metric(url, "caliper_aggregator_facts_total") == 1
        assert _metric(url, "caliper_aggregator_duplicates_total") >= 1
        health = httpx.get(f"{lines['oneroster']}/ims/oneroster/gradebook/v1p2/assessmentResults")
        assert health.status_code == 200
        kafka_port = int(lines["kafka"].rsplit(":", 1)[1])
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=20)
    return code, kafka_port
