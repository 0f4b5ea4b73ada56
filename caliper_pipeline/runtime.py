"""Running services as a process: signals, ordered drain, forced exit, exit codes.

Every long-running command (`serve`, `aggregate`, `results`, `up`) is a list of
services run here. Services start in order; the first SIGINT/SIGTERM drains them in
the same order (the front door stops accepting and finishes in-flight requests before
the consumers finish and commit their batch), each within `shutdown_timeout_s`; a
second signal cancels whatever still runs. A service that fails or stops on its own
is reported by name and stops the others (exit 1); so is one that fails while draining.
A service whose drain was cut short (e.g. a child process of `up` that had to be killed)
raises DrainCutShortError: the process then exits 130, as after a second signal.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import uvloop

logger = logging.getLogger(__name__)

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130
_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)


class Service(Protocol):
    """What the runtime runs: `start()`, then `run(stop)` until `stop` is set and the
    work in hand is finished, then `stop()` to release connections."""

    @property
    def name(self) -> str: ...
    async def start(self) -> None: ...
    async def run(self, stop: asyncio.Event) -> None: ...
    async def stop(self) -> None: ...


@dataclass
class Plan:
    """The services of one process, in start (and drain) order; `on_ready` runs once
    all have started (the banner of `up`)."""

    services: Sequence[Service]
    on_ready: Callable[[], None] | None = None


class ServiceFailedError(Exception):
    """A service raised, or returned before it was asked to stop."""


class DrainCutShortError(Exception):
    """A service's drain did not finish (timeout, forced): its work in hand is read again."""


class _InterruptedError(Exception):
    """A second signal while services were still starting."""


Build = Callable[[AsyncExitStack], Awaitable[Plan]]


def run(build: Build, *, shutdown_timeout_s: float) -> int:
    """Build the plan (entering dev servers etc. into the exit stack), run it, and
    return the process's exit code."""
    try:
        return uvloop.run(_main(build, shutdown_timeout_s))
    except KeyboardInterrupt:
        # A signal before the handlers were installed (while importing or starting).
        return EXIT_INTERRUPTED


def run_once(main: Callable[[], Coroutine[Any, Any, int]]) -> int:
    """A one-shot command (e.g. `results --replay-dlq`): Ctrl-C interrupts it (130)."""
    try:
        return uvloop.run(main())
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


@dataclass
class _Signals:
    shutdown: asyncio.Event = field(default_factory=asyncio.Event)
    forced: asyncio.Event = field(default_factory=asyncio.Event)

    def on_signal(self, sig: int) -> None:
        name = signal.Signals(sig).name
        if self.shutdown.is_set():
            logger.warning("second %s: forcing exit", name)
            self.forced.set()
        else:
            logger.info("%s: shutting down gracefully (again to force)", name)
            self.shutdown.set()


async def _main(build: Build, shutdown_timeout_s: float) -> int:
    signals = _Signals()
    loop = asyncio.get_running_loop()
    for sig in _SIGNALS:
        loop.add_signal_handler(sig, signals.on_signal, sig)
    try:
        async with AsyncExitStack() as stack:
            plan = await build(stack)
            return await supervise(plan, signals.shutdown, signals.forced, shutdown_timeout_s)
    except ServiceFailedError as exc:
        logger.error("exiting: %s", exc)
        return EXIT_FAILED
    except _InterruptedError as exc:
        logger.warning("%s", exc)
        return EXIT_INTERRUPTED
    finally:
        for sig in _SIGNALS:
            loop.remove_signal_handler(sig)


async def supervise(
    plan: Plan, shutdown: asyncio.Event, forced: asyncio.Event, shutdown_timeout_s: float
) -> int:
    """Start, run and drain `plan`'s services; EXIT_INTERRUPTED when `forced` cut the
    drain short. Raises ServiceFailedError when a service failed."""
    started: list[Service] = []
    failure: ServiceFailedError | None = None
    try:
        for service in plan.services:
            if shutdown.is_set():
                break  # a signal while starting: start no more, drain what runs
            await _start(service, forced)
            started.append(service)
        if plan.on_ready is not None and not shutdown.is_set():
            plan.on_ready()
        stops = [asyncio.Event() for _ in started]
        runs = [
            asyncio.create_task(service.run(stop), name=service.name)
            for service, stop in zip(started, stops, strict=True)
        ]
        ended = await _first_of(runs, shutdown)
        if ended is not None:
            failure = _failure(started[runs.index(ended)], ended)
            logger.error("%s; stopping the others", failure)
        drained = await _drain(started, stops, runs, ended, forced, shutdown_timeout_s)
        failure = failure or drained.failure
    finally:
        for service in reversed(started):
            await _stop(service, shutdown_timeout_s)
    if failure is not None:
        raise failure
    return EXIT_INTERRUPTED if drained.cut_short else EXIT_OK


async def _start(service: Service, forced: asyncio.Event) -> None:
    starting = asyncio.create_task(service.start())
    forcing = asyncio.create_task(forced.wait())
    try:
        await asyncio.wait([starting, forcing], return_when=asyncio.FIRST_COMPLETED)
    finally:
        forcing.cancel()
    if not starting.done():
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        raise _InterruptedError(f"{service.name}: interrupted while starting")
    if (exc := starting.exception()) is not None:
        raise ServiceFailedError(f"{service.name} did not start: {exc}") from exc
    logger.debug("%s started", service.name)


async def _first_of(
    runs: list[asyncio.Task[None]], shutdown: asyncio.Event
) -> asyncio.Task[None] | None:
    """Wait for the shutdown signal or for a run to end on its own (returned: a failure)."""
    waiting = asyncio.create_task(shutdown.wait())
    try:
        done, _ = await asyncio.wait([*runs, waiting], return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()
    ended = [task for task in runs if task in done]
    return ended[0] if ended else None


def _failure(service: Service, task: asyncio.Task[None]) -> ServiceFailedError:
    if task.cancelled():
        return ServiceFailedError(f"{service.name} was cancelled")
    exc = task.exception()
    if exc is None:
        return ServiceFailedError(f"{service.name} stopped on its own")
    if isinstance(exc, ServiceFailedError):
        # Already says what happened (a child process's exit): no traceback to add.
        return ServiceFailedError(f"{service.name} {exc}")
    logger.error("%s failed", service.name, exc_info=exc)
    return ServiceFailedError(f"{service.name} failed: {exc}")


@dataclass
class _Drained:
    cut_short: bool = False
    failure: ServiceFailedError | None = None


async def _drain(
    services: list[Service],
    stops: list[asyncio.Event],
    runs: list[asyncio.Task[None]],
    reported: asyncio.Task[None] | None,
    forced: asyncio.Event,
    timeout_s: float,
) -> _Drained:
    """Ask each service in order to finish; `cut_short` when a second signal, a timeout
    or the service itself (DrainCutShortError) cut one short."""
    drained = _Drained()
    forcing = asyncio.create_task(forced.wait())
    try:
        for service, stop, task in zip(services, stops, runs, strict=True):
            stop.set()
            if not forced.is_set():
                await asyncio.wait(
                    [task, forcing], timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
                )
            if not task.done():
                logger.warning("%s did not finish in time: cancelling it", service.name)
                task.cancel()
                drained.cut_short = True
            await asyncio.gather(task, return_exceptions=True)
            # `reported`: the run that ended on its own, already the failure.
            exc = None if task.cancelled() or task is reported else task.exception()
            if isinstance(exc, DrainCutShortError):
                logger.warning("%s: %s", service.name, exc)
                drained.cut_short = True
            elif exc is not None:
                trace = None if isinstance(exc, ServiceFailedError) else exc
                logger.error("%s failed while stopping: %s", service.name, exc, exc_info=trace)
                drained.failure = drained.failure or ServiceFailedError(
                    f"{service.name} failed while stopping: {exc}"
                )
    finally:
        forcing.cancel()
    drained.cut_short = drained.cut_short or forced.is_set()
    return drained


async def _stop(service: Service, timeout_s: float) -> None:
    try:
        await asyncio.wait_for(service.stop(), timeout_s)
    except Exception:
        logger.exception("%s did not stop cleanly", service.name)
