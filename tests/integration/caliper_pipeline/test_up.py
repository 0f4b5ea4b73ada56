"""`caliper-pipeline up` as a user runs it: lines printed, the curl works, every part a
child process, Ctrl-C drains them in order, a dead child stops it, nothing left behind."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration

COMMAND = Path(sys.executable).parent / "caliper-pipeline"
ROOT = Path(__file__).resolve().parents[3]
CHILDREN = ("front door", "aggregator", "results writer", "analytics")


@dataclass
class Up:
    process: subprocess.Popen[str]
    env: dict[str, str]
    stderr: Path
    lines: dict[str, str]
    pids: dict[str, int]  # the children by name, and the broker

    def log(self) -> str:
        return self.stderr.read_text()


def up_env(tmp_path: Path) -> dict[str, str]:
    """Free ports and this test's own data and issuer dirs."""
    return {
        **os.environ,
        "CALIPER_PORT": "0",
        "CALIPER_KAFKA_PORT": "0",
        "CALIPER_ISSUER_DIR": str(tmp_path / "issuer"),
        "CALIPER_DATA_DIR": str(tmp_path / "data"),
        "CALIPER_ONEROSTER_DEV_PORT": "0",
        "CALIPER_ANALYTICS_PORT": "0",
        "CALIPER_LOG_FORMAT": "plain",
        "CALIPER_LOG_LEVEL": "INFO",
    }


@contextmanager
def running_up(tmp_path: Path) -> Iterator[Up]:
    env = up_env(tmp_path)
    stderr = tmp_path / "stderr.log"
    with (
        stderr.open("w") as err,
        subprocess.Popen(
            [str(COMMAND), "up"], stdout=subprocess.PIPE, stderr=err, env=env, text=True
        ) as process,
    ):
        pids: dict[str, int] = {}
        try:
            lines = _read_lines(process)
            pids = _children(process.pid, stderr.read_text())
            yield Up(process, env, stderr, lines, pids)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
            # Orphans are a defect: no child, and no broker, outlives `up`.
            left = {name: pid for name, pid in pids.items() if _alive(pid)}
            for pid in left.values():
                os.kill(pid, signal.SIGKILL)
            assert not left, f"left running after `up` exited: {left}"


def _read_lines(process: subprocess.Popen[str]) -> dict[str, str]:
    """`name: value` lines up to and including the `try it` line."""
    assert process.stdout is not None
    lines: dict[str, str] = {}
    while "try it" not in lines and len(lines) < 20:
        name, _, value = process.stdout.readline().rstrip("\n").partition(": ")
        lines[name] = value
    return lines


def _children(up_pid: int, log: str) -> dict[str, int]:
    """The children `up` logged starting, checked against the kernel's list of its children."""
    named = {m[1]: int(m[2]) for m in re.finditer(r"INFO \S+: (.+) started \(pid (\d+)\)", log)}
    assert sorted(named) == sorted(CHILDREN), log
    listed = subprocess.run(
        ["pgrep", "-P", str(up_pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    others = {int(pid) for pid in listed} - set(named.values())
    assert set(named.values()) <= {int(pid) for pid in listed}
    assert len(others) == 1, "one more child: the embedded broker"
    return {**named, "broker": others.pop()}


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped by whoever adopted it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _metric(url: str, name: str) -> float:
    """The sum over every label set of `name`."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in httpx.get(f"{url}/metrics").text.splitlines()
        if line.startswith((name + "{", name + " "))
    )


def _order(log: str, *needles: str) -> list[int]:
    return [log.index(needle) for needle in needles]


def test_up_prints_addresses_and_curl_then_stops_cleanly(tmp_path: Path) -> None:
    with running_up(tmp_path) as up:
        _drive(up, tmp_path)
        kafka_port = int(up.lines["kafka"].rsplit(":", 1)[1])
        up.process.send_signal(signal.SIGINT)
        assert up.process.wait(timeout=30) == 0
    log = up.log()
    # Drained in start order, then the dev servers and the broker.
    stopped = [f"{name} stopped (exit code 0)" for name in CHILDREN]
    positions = _order(log, *stopped, "embedded broker stopped")
    assert positions == sorted(positions), log
    # One SIGINT is one graceful drain in every child: none saw it as a second signal.
    assert "forcing exit" not in log, log
    # No broker left listening: the port is free again.
    broker = subprocess.run(
        ["pgrep", "-f", f"tcp://127.0.0.1:{kafka_port}"], capture_output=True, check=False
    )
    assert broker.stdout == b""


def _drive(up: Up, tmp_path: Path) -> None:
    lines, env = up.lines, up.env
    url = lines["front door"]
    assert url.startswith("http://127.0.0.1:")
    assert lines["kafka"].startswith("127.0.0.1:")
    assert lines["oneroster"].startswith("http://127.0.0.1:")
    assert lines["data"] == str((tmp_path / "data" / "aggregator.sqlite3").resolve())
    assert lines["metrics"] == f"{url}/metrics"
    assert lines["token url"] == f"{url}/oauth2/token"
    assert lines["try it"].endswith("caliper-pipeline try")
    # The printed line, as a user pastes it (in the shell that ran `up`): posts a new event.
    pasted = subprocess.run(
        ["bash", "-c", lines["try it"]], capture_output=True, text=True, timeout=30, env=env
    )
    assert pasted.returncode == 0, pasted.stdout + pasted.stderr
    assert '"status":"success"' in pasted.stdout, pasted.stdout + pasted.stderr
    # Without a token: refused. With `caliper-pipeline token`: accepted.
    headers = {"content-type": "application/json"}
    payload = (ROOT / "docs" / "examples" / "xp-earned.json").read_bytes()
    refused = httpx.post(f"{url}/caliper/event", content=payload, headers=headers)
    assert refused.status_code == 401
    token = subprocess.run(
        [str(COMMAND), "token"], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()
    headers["authorization"] = f"Bearer {token}"
    # Every example the README posts is its own event, so each is counted.
    readme = (ROOT / "README.md").read_text()
    examples = re.findall(r"-d @(docs/examples/\S+\.json)", readme)
    assert len(examples) == 2, examples
    for example in examples:
        answer = httpx.post(
            f"{url}/caliper/event", content=(ROOT / example).read_bytes(), headers=headers
        )
        assert answer.status_code == 200, answer.text
    # Sent again unchanged: a duplicate, counted once.
    again = httpx.post(f"{url}/caliper/event", content=payload, headers=headers)
    assert again.status_code == 200, again.text
    # HTTP Basic client authentication, as the timeback-caliper SDK sends it.
    basic = httpx.post(
        lines["token url"],
        data={"grant_type": "client_credentials"},
        auth=(lines["client id"], lines["client secret"]),
    )
    assert basic.status_code == 200, basic.text
    # The whole pipeline runs, in other processes: the aggregator counts the three
    # distinct events' facts (`try` and the README's two) and the duplicate, and the
    # front door's /metrics shows its counters. They may land in different batches.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (
        _metric(url, "caliper_aggregator_facts_total") < 1 + len(examples)
        or _metric(url, "caliper_aggregator_duplicates_total") < 1
    ):
        time.sleep(0.2)
    assert _metric(url, "caliper_aggregator_facts_total") == 1 + len(examples)
    assert _metric(url, "caliper_aggregator_duplicates_total") == 1
    assert _metric(url, "caliper_aggregator_conflicts_total") == 0
    assert _metric(url, "caliper_ingest_events_total") >= 2 + len(examples)
    health = httpx.get(f"{lines['oneroster']}/ims/oneroster/gradebook/v1p2/assessmentResults")
    assert health.status_code == 200
    _read_analytics(up)


def _read_analytics(up: Up) -> None:
    """The README's two examples (2024-04-24, one student), read back over the analytics
    API with a token of the scope the banner names, and by `caliper-pipeline facts`."""
    analytics = up.lines["analytics"].split(" ", 1)[0].removesuffix("/docs")
    token_command = up.lines["analytics"].split("(token: ", 1)[1].rstrip(")")
    token = subprocess.run(
        ["bash", "-c", token_command], capture_output=True, text=True, env=up.env, check=True
    ).stdout.strip()
    query = {"email": "student.email@example.com", "startDate": "2024-04-24"}
    query["endDate"] = "2024-04-24"
    url = f"{analytics}/analytics/activity"
    assert httpx.get(url, params=query).status_code == 401
    answer = httpx.get(url, params=query, headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    reading = answer.json()["facts"]["2024-04-24"]["Reading"]
    assert reading["activityMetrics"]["xpEarned"] == 100
    assert reading["timeSpentMetrics"]["activeSeconds"] == 10
    printed = subprocess.run(
        [str(COMMAND), "facts", "--email", query["email"], "--from", "2024-04-24", "--to",
         "2024-04-24", "--json"],
        capture_output=True, text=True, env=up.env, check=True,
    )  # fmt: skip
    assert printed.stdout.strip() == answer.text


def test_a_killed_child_is_named_and_stops_up_with_exit_1(tmp_path: Path) -> None:
    with running_up(tmp_path) as up:
        assert httpx.get(f"{up.lines['front door']}/healthz").status_code == 200
        os.kill(up.pids["aggregator"], signal.SIGKILL)
        assert up.process.wait(timeout=30) == 1
    log = up.log()
    reported = "aggregator exited on its own (killed by SIGKILL)"
    assert reported in log
    # Not restarted; the others drained in order after it, then the broker stopped.
    assert log.count("aggregator started") == 1
    after = ("front door stopped (exit code 0)", "results writer stopped (exit code 0)")
    positions = _order(log, reported, *after, "embedded broker stopped")
    assert positions == sorted(positions), log


def test_the_banner_comes_last_and_a_second_up_on_the_data_dir_is_refused(
    tmp_path: Path,
) -> None:
    env = up_env(tmp_path)
    # Logs (stderr) and the banner (stdout) in one stream, in the order they were written.
    with subprocess.Popen(
        [str(COMMAND), "up"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True
    ) as first:
        try:
            assert first.stdout is not None
            seen: list[str] = []
            while not seen or not seen[-1].startswith("try it: "):
                line = first.stdout.readline()
                assert line, "\n".join(seen)
                seen.append(line.rstrip("\n"))
            title = seen.index("caliper pipeline is up (Ctrl-C stops it)")
            before = "\n".join(seen[:title])
            for name in CHILDREN:
                assert f"{name} started" in before, before
            banner = seen[title:]
            assert all(": " in line for line in banner[1:]), banner
            assert all(len(line) < 200 for line in banner), banner
            # Nothing more while idle: the banner stays the last thing on the screen.
            ready, _, _ = select.select([first.stdout], [], [], 2.0)
            # What arrived, raw (readline would give the banner's own buffered last line).
            assert not ready, os.read(first.stdout.fileno(), 4096)

            second = subprocess.run(
                [str(COMMAND), "up"], capture_output=True, text=True, env=env, timeout=60
            )
            assert second.returncode == 1, second.stdout + second.stderr
            assert f"(PID {first.pid})" in second.stderr, second.stderr
            assert str((tmp_path / "data").resolve()) in second.stderr
            # The first one is untouched and still serves.
            url = next(line for line in banner if line.startswith("front door: ")).split(": ")[1]
            assert httpx.get(f"{url}/readyz").status_code == 200
        finally:
            first.send_signal(signal.SIGINT)
            assert first.wait(timeout=30) == 0
