"""The process runtime: start in order, drain in the same order, report a failure by name,
and let a second signal cut the drain short."""

from __future__ import annotations

import asyncio
import logging

import pytest

from caliper_pipeline.runtime import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    DrainCutShortError,
    Plan,
    ServiceFailedError,
    supervise,
)


class Recorder:
    """A service that logs its lifecycle into a shared list."""

    def __init__(
        self, name: str, log: list[str], *, drain_s: float = 0.0, fail: bool = False
    ) -> None:
        self.name = name
        self.log = log
        self.drain_s = drain_s
        self.fail = fail

    async def start(self) -> None:
        self.log.append(f"start {self.name}")

    async def run(self, stop: asyncio.Event) -> None:
        if self.fail:
            await asyncio.sleep(0.01)
            raise RuntimeError("boom")
        await stop.wait()
        self.log.append(f"draining {self.name}")
        await asyncio.sleep(self.drain_s)
        self.log.append(f"drained {self.name}")

    async def stop(self) -> None:
        self.log.append(f"stop {self.name}")


async def test_drains_in_start_order_then_stops_in_reverse() -> None:
    log: list[str] = []
    shutdown, forced = asyncio.Event(), asyncio.Event()
    plan = Plan(
        [Recorder("door", log, drain_s=0.05), Recorder("aggregator", log)],
        on_ready=lambda: log.append("ready"),
    )
    task = asyncio.create_task(supervise(plan, shutdown, forced, 5.0))
    await asyncio.sleep(0.05)
    shutdown.set()
    assert await task == EXIT_OK
    assert log == [
        "start door",
        "start aggregator",
        "ready",
        "draining door",
        "drained door",
        # The aggregator is asked to finish only once the front door has finished.
        "draining aggregator",
        "drained aggregator",
        "stop aggregator",
        "stop door",
    ]


async def test_a_failing_service_is_named_and_stops_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log: list[str] = []
    plan = Plan([Recorder("door", log), Recorder("writer", log, fail=True)])
    with pytest.raises(ServiceFailedError, match="writer failed: boom"):
        await supervise(plan, asyncio.Event(), asyncio.Event(), 5.0)
    assert "drained door" in log
    assert log[-2:] == ["stop writer", "stop door"]


async def test_a_second_signal_cuts_a_slow_drain_short(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    log: list[str] = []
    shutdown, forced = asyncio.Event(), asyncio.Event()
    plan = Plan([Recorder("aggregator", log, drain_s=30)])
    task = asyncio.create_task(supervise(plan, shutdown, forced, 60.0))
    await asyncio.sleep(0.02)
    shutdown.set()
    await asyncio.sleep(0.02)
    forced.set()
    assert await asyncio.wait_for(task, 2) == EXIT_INTERRUPTED
    assert "drained aggregator" not in log
    assert log[-1] == "stop aggregator"
    assert "aggregator did not finish in time: cancelling it" in caplog.text


async def test_a_drain_past_its_timeout_is_cancelled() -> None:
    log: list[str] = []
    shutdown = asyncio.Event()
    plan = Plan([Recorder("writer", log, drain_s=30)], on_ready=shutdown.set)
    code = await asyncio.wait_for(supervise(plan, shutdown, asyncio.Event(), 0.05), 2)
    assert code == EXIT_INTERRUPTED
    assert log[-1] == "stop writer"


class CutShort(Recorder):
    async def run(self, stop: asyncio.Event) -> None:
        await stop.wait()
        raise DrainCutShortError("killed after its shutdown timeout")


class FailsWhileStopping(Recorder):
    async def run(self, stop: asyncio.Event) -> None:
        await stop.wait()
        raise RuntimeError("commit failed")


async def test_a_service_that_cut_its_own_drain_short_makes_the_exit_130() -> None:
    log: list[str] = []
    shutdown = asyncio.Event()
    plan = Plan([CutShort("door", log), Recorder("writer", log)], on_ready=shutdown.set)
    assert await supervise(plan, shutdown, asyncio.Event(), 5.0) == EXIT_INTERRUPTED
    assert "drained writer" in log


async def test_a_service_failing_while_stopping_is_named_and_fails_the_run() -> None:
    log: list[str] = []
    shutdown = asyncio.Event()
    plan = Plan([FailsWhileStopping("aggregator", log), Recorder("writer", log)])
    plan.on_ready = shutdown.set
    with pytest.raises(ServiceFailedError, match="aggregator failed while stopping: commit failed"):
        await supervise(plan, shutdown, asyncio.Event(), 5.0)
    assert "drained writer" in log  # the others still drain
    assert log[-2:] == ["stop writer", "stop aggregator"]


async def test_a_signal_while_starting_starts_no_more_and_drains_what_runs() -> None:
    log: list[str] = []
    shutdown = asyncio.Event()

    class SignalledWhileStarting(Recorder):
        async def start(self) -> None:
            await super().start()
            shutdown.set()

    plan = Plan(
        [SignalledWhileStarting("door", log), Recorder("aggregator", log)],
        on_ready=lambda: log.append("ready"),
    )
    assert await supervise(plan, shutdown, asyncio.Event(), 5.0) == EXIT_OK
    assert log == ["start door", "draining door", "drained door", "stop door"]
