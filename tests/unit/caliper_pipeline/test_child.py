"""Child processes under the runtime, with tiny real children (`python -c`): started in
order once each is ready, drained in order, a death reported by name, nothing left."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from caliper_pipeline.child import ChildProcess, ChildSpec, describe_exit
from caliper_pipeline.runtime import EXIT_INTERRUPTED, EXIT_OK, Plan, ServiceFailedError, supervise

# A child that logs its life to a file: started, ready (after a pause, so a next child
# started too early shows), then on SIGTERM draining and drained; `exit_after_s` makes
# it exit on its own with `code`; `ignore_term` makes it ignore SIGTERM.
CHILD = """
import os, signal, sys, time
name, log, ready_s, drain_s, code, exit_after_s, ignore_term = sys.argv[1:]
def note(what):
    with open(log, "a") as f:
        f.write(f"{what} {name}\\n")
def on_term(*_):
    note("draining"); time.sleep(float(drain_s)); note("drained"); sys.exit(int(code))
signal.signal(signal.SIGTERM, signal.SIG_IGN if ignore_term == "1" else on_term)
note("start"); time.sleep(float(ready_s)); note("ready")
print("chatter", flush=True)
print(f"{name}: ready", flush=True)
deadline = time.monotonic() + float(exit_after_s)
while time.monotonic() < deadline:
    time.sleep(0.01)
sys.exit(int(code))
"""


def child(
    name: str,
    log: Path,
    *,
    ready_s: float = 0.1,
    drain_s: float = 0.05,
    code: int = 0,
    exit_after_s: float = 60,
    ignore_term: bool = False,
    shutdown_timeout_s: float = 5.0,
    start_timeout_s: float = 10.0,
    ready_prefix: str | None = None,
) -> ChildProcess:
    argv = [sys.executable, "-c", CHILD, name, str(log), str(ready_s), str(drain_s)]
    argv += [str(code), str(exit_after_s), "1" if ignore_term else "0"]
    return ChildProcess(
        ChildSpec(
            name,
            argv,
            dict(os.environ),
            ready_prefix=ready_prefix or f"{name}: ready",
            shutdown_timeout_s=shutdown_timeout_s,
            start_timeout_s=start_timeout_s,
        )
    )


def lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def assert_gone(*children: ChildProcess) -> None:
    for one in children:
        assert one.pid is not None
        with pytest.raises(ProcessLookupError):
            os.kill(one.pid, 0)


async def logged(log: Path, line: str) -> None:
    # The file is written by other processes: nothing to wait on but the file itself.
    while line not in lines(log):  # noqa: ASYNC110
        await asyncio.sleep(0.01)


async def stop_when(log: Path, line: str, shutdown: asyncio.Event) -> None:
    await logged(log, line)
    shutdown.set()


def test_exits_are_described() -> None:
    assert describe_exit(0) == "exit code 0"
    assert describe_exit(3) == "exit code 3"
    assert describe_exit(-signal.SIGKILL) == "killed by SIGKILL"


async def test_each_starts_once_the_one_before_is_ready_and_they_drain_in_order(
    tmp_path: Path,
) -> None:
    log = tmp_path / "log"
    children = [child("door", log, drain_s=0.2), child("aggregator", log), child("writer", log)]
    shutdown = asyncio.Event()
    ready: list[str] = []

    def on_ready() -> None:
        ready.append(lines(log)[-1])
        shutdown.set()

    plan = Plan(children, on_ready=on_ready)
    assert await asyncio.wait_for(supervise(plan, shutdown, asyncio.Event(), 10), 30) == EXIT_OK
    assert lines(log) == [
        "start door",
        "ready door",
        "start aggregator",
        "ready aggregator",
        "start writer",
        "ready writer",
        # The aggregator is asked to stop only once the front door has drained.
        "draining door",
        "drained door",
        "draining aggregator",
        "drained aggregator",
        "draining writer",
        "drained writer",
    ]
    assert ready == ["ready writer"]  # the banner comes after every child is ready
    assert children[0].ready_value == ""
    assert_gone(*children)


async def test_the_rest_of_the_ready_line_is_kept(tmp_path: Path) -> None:
    door = child("door", tmp_path / "log", ready_prefix="door: ")
    shutdown = asyncio.Event()
    assert (
        await asyncio.wait_for(
            supervise(Plan([door], on_ready=shutdown.set), shutdown, asyncio.Event(), 10), 30
        )
        == 0
    )
    assert door.ready_value == "ready"


async def test_a_child_runs_at_the_niceness_it_was_given(tmp_path: Path) -> None:
    """`up` lowers the consumers' CPU priority (CALIPER_CONSUMERS_NICE) below the front door's."""
    code = "import os,signal,sys,time;signal.signal(15,lambda *_:sys.exit(0));"
    code += "print(f'ready {os.nice(0)}',flush=True);time.sleep(30)"
    argv, env = [sys.executable, "-c", code], dict(os.environ)
    plain = ChildProcess(ChildSpec("plain", argv, env, "ready ", 5.0))
    niced = ChildProcess(ChildSpec("niced", argv, env, "ready ", 5.0, nice=7))
    shutdown = asyncio.Event()
    plan = Plan([plain, niced], on_ready=shutdown.set)
    assert await asyncio.wait_for(supervise(plan, shutdown, asyncio.Event(), 10), 30) == 0
    base = os.nice(0)
    assert (plain.ready_value, niced.ready_value) == (str(base), str(min(19, base + 7)))


async def test_a_child_killed_by_sigkill_is_named_and_stops_the_others(
    tmp_path: Path,
) -> None:
    log = tmp_path / "log"
    children = [child("door", log), child("aggregator", log), child("writer", log)]

    async def kill_aggregator() -> None:
        await logged(log, "ready writer")
        pid = children[1].pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)

    killer = asyncio.create_task(kill_aggregator())
    with pytest.raises(
        ServiceFailedError, match=r"^aggregator exited on its own \(killed by SIGKILL\)$"
    ):
        await asyncio.wait_for(supervise(Plan(children), asyncio.Event(), asyncio.Event(), 10), 30)
    await killer
    # Not restarted; the others drained in order.
    assert lines(log).count("start aggregator") == 1
    assert lines(log)[-4:] == ["draining door", "drained door", "draining writer", "drained writer"]
    assert_gone(*children)


async def test_a_child_that_exits_by_itself_is_named_with_its_code(tmp_path: Path) -> None:
    log = tmp_path / "log"
    children = [child("door", log), child("writer", log, code=3, exit_after_s=0.2)]
    with pytest.raises(ServiceFailedError, match=r"^writer exited on its own \(exit code 3\)$"):
        await asyncio.wait_for(supervise(Plan(children), asyncio.Event(), asyncio.Event(), 10), 30)
    assert "drained door" in lines(log)
    assert_gone(*children)


async def test_a_child_that_dies_before_it_is_ready_stops_the_start(tmp_path: Path) -> None:
    log = tmp_path / "log"
    argv = [sys.executable, "-c", "raise SystemExit(2)"]
    spec = ChildSpec("aggregator", argv, dict(os.environ), "aggregator: ready", 5)
    broken = ChildProcess(spec)
    children = [child("door", log), broken, child("writer", log)]
    with pytest.raises(
        ServiceFailedError,
        match=r"^aggregator did not start: exited before it was ready \(exit code 2\)$",
    ):
        await asyncio.wait_for(supervise(Plan(children), asyncio.Event(), asyncio.Event(), 10), 30)
    assert "start writer" not in lines(log)
    assert lines(log)[-2:] == ["draining door", "drained door"]
    assert_gone(children[0], broken)


async def test_a_silent_child_fails_its_start_after_the_timeout(tmp_path: Path) -> None:
    silent = child("door", tmp_path / "log", ready_s=30, start_timeout_s=0.5)
    with pytest.raises(ServiceFailedError, match=r"door did not start: not ready after 0.5 s"):
        await asyncio.wait_for(supervise(Plan([silent]), asyncio.Event(), asyncio.Event(), 10), 30)
    assert_gone(silent)


async def test_a_child_ignoring_sigterm_is_killed_after_its_timeout(tmp_path: Path) -> None:
    log = tmp_path / "log"
    stubborn = child("aggregator", log, ignore_term=True, shutdown_timeout_s=0.3)
    shutdown = asyncio.Event()
    started = time.monotonic()
    code = await asyncio.wait_for(
        supervise(Plan([stubborn], on_ready=shutdown.set), shutdown, asyncio.Event(), 10), 30
    )
    assert code == EXIT_INTERRUPTED
    assert time.monotonic() - started < 5
    assert_gone(stubborn)


async def test_a_child_whose_drain_was_cut_short_makes_the_exit_130(tmp_path: Path) -> None:
    log = tmp_path / "log"
    children = [child("door", log, code=EXIT_INTERRUPTED), child("writer", log)]
    shutdown = asyncio.Event()
    plan = Plan(children, on_ready=shutdown.set)
    code = await asyncio.wait_for(supervise(plan, shutdown, asyncio.Event(), 10), 30)
    assert code == EXIT_INTERRUPTED
    assert "drained writer" in lines(log)  # the others still drain
    assert_gone(*children)


async def test_a_child_failing_its_drain_fails_the_run(tmp_path: Path) -> None:
    children = [child("door", tmp_path / "log", code=1)]
    shutdown = asyncio.Event()
    plan = Plan(children, on_ready=shutdown.set)
    with pytest.raises(ServiceFailedError, match=r"^door failed while stopping: exit code 1$"):
        await asyncio.wait_for(supervise(plan, shutdown, asyncio.Event(), 10), 30)
    assert_gone(*children)


async def test_a_second_signal_kills_the_children_left(tmp_path: Path) -> None:
    log = tmp_path / "log"
    children = [child("door", log, drain_s=30), child("writer", log, drain_s=30)]
    shutdown, forced = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(supervise(Plan(children), shutdown, forced, 60))
    await stop_when(log, "ready writer", shutdown)
    await logged(log, "draining door")
    forced.set()
    assert await asyncio.wait_for(task, 10) == EXIT_INTERRUPTED
    assert "drained door" not in lines(log)
    assert "draining writer" not in lines(log)  # killed without a drain
    assert_gone(*children)


PARENT = """
import asyncio, os, sys
from caliper_pipeline.child import ChildProcess, ChildSpec
async def main():
    sleeper = ChildProcess(ChildSpec("sleeper", [sys.executable, "-c",
        "import time; print('ready', flush=True); time.sleep(60)"], dict(os.environ),
        ready_prefix="ready", shutdown_timeout_s=5))
    await sleeper.start()
    print(sleeper.pid, flush=True)
    await asyncio.sleep(60)
asyncio.run(main())
"""


def test_a_child_dies_with_its_parent_even_by_sigkill() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True
    ) as parent:
        try:
            assert parent.stdout is not None
            pid = int(parent.stdout.readline())
            os.kill(pid, 0)  # running
        finally:
            parent.kill()
            parent.wait()
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the child outlived its parent")


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for whoever adopted it to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
