"""A child process as a service of `caliper_pipeline.runtime`: how `up` runs each part.

`start()` spawns the command and returns once it printed its ready line on stdout (or
fails, naming why, when it exits first or stays silent past `start_timeout_s`).
`run(stop)` returns when `stop` is set and the child has drained: SIGTERM, then SIGKILL
to its process group after `shutdown_timeout_s` (DrainCutShortError). A child that
exits before it is asked to is not restarted: `run` raises ChildExitedError with its
exit code or signal, and the runtime reports it by name and stops the others (exit 1).

Each child runs in its own session, so a terminal's Ctrl-C reaches only the parent,
which then drains the children in order; and with PR_SET_PDEATHSIG, so the kernel
stops it if the parent dies, even by SIGKILL: no child outlives `up`. Its stderr is
ours (the logs share the terminal); other stdout lines are logged at INFO.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from caliper_pipeline.runtime import EXIT_INTERRUPTED, DrainCutShortError, ServiceFailedError

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG: Final = 1
# After SIGKILL or EOF: the kernel needs no more than this to report the exit.
_REAP_TIMEOUT_S: Final = 5.0


class ChildExitedError(ServiceFailedError):
    """The child exited on its own, or failed while draining (its exit code says how)."""


class ChildStartError(ServiceFailedError):
    """The child exited, or stayed silent, before printing its ready line."""


@dataclass(frozen=True)
class ChildSpec:
    """One child: `argv` run with exactly `env`; ready once a stdout line starts with
    `ready_prefix` (the rest of the line is kept, e.g. the front door's URL)."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    ready_prefix: str
    shutdown_timeout_s: float
    start_timeout_s: float = 120.0
    # Added to the child's CPU niceness: the consumers yield the CPU to the front door.
    nice: int = 0


def describe_exit(code: int) -> str:
    """`exit code 1`, `killed by SIGKILL`: asyncio reports signal N as -N."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _die_with_parent() -> None:
    # Runs in the child between fork and exec.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _before_exec(nice: int) -> Callable[[], None]:
    def prepare() -> None:
        _die_with_parent()
        if nice:
            os.nice(nice)

    return prepare


class ChildProcess:
    """A `caliper_pipeline.runtime.Service` running `spec` as a child process."""

    def __init__(self, spec: ChildSpec) -> None:
        self.spec = spec
        self.ready_value: str | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._echo: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def start(self) -> None:
        if self._process is not None:
            return
        process = await asyncio.create_subprocess_exec(
            *self.spec.argv,
            env=dict(self.spec.env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_before_exec(self.spec.nice),
        )
        self._process = process
        logger.info("%s started (pid %d)", self.name, process.pid)
        try:
            self.ready_value = await asyncio.wait_for(
                self._ready_line(process), self.spec.start_timeout_s
            )
        except TimeoutError as exc:
            await self._kill()
            raise ChildStartError(f"not ready after {self.spec.start_timeout_s:g} s") from exc
        except BaseException:
            await self._kill()
            raise
        logger.info("%s ready (pid %d)", self.name, process.pid)
        self._echo = asyncio.create_task(self._echo_stdout(process))

    async def _ready_line(self, process: asyncio.subprocess.Process) -> str:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            text = line.decode(errors="replace").rstrip("\n")
            if text.startswith(self.spec.ready_prefix):
                return text[len(self.spec.ready_prefix) :]
            logger.info("%s: %s", self.name, text)
        code = await process.wait()
        raise ChildStartError(f"exited before it was ready ({describe_exit(code)})")

    async def _echo_stdout(self, process: asyncio.subprocess.Process) -> None:
        # Keeps reading, so a chatty child never blocks on a full pipe.
        assert process.stdout is not None
        while line := await process.stdout.readline():
            logger.info("%s: %s", self.name, line.decode(errors="replace").rstrip("\n"))

    async def run(self, stop: asyncio.Event) -> None:
        process = self._process
        if process is None:
            raise RuntimeError(f"{self.name} is not started")
        exited = asyncio.ensure_future(process.wait())
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait([exited, stopping], return_when=asyncio.FIRST_COMPLETED)
            if exited.done():
                raise ChildExitedError(f"exited on its own ({describe_exit(exited.result())})")
            await self._drain(process, exited)
        except asyncio.CancelledError:
            # A second signal (or the runtime's own timeout): no more waiting.
            await self._kill()
            raise
        finally:
            stopping.cancel()

    async def _drain(
        self, process: asyncio.subprocess.Process, exited: asyncio.Future[int]
    ) -> None:
        process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(asyncio.shield(exited), self.spec.shutdown_timeout_s)
        except TimeoutError:
            logger.warning(
                "%s did not stop within %g s: killing it", self.name, self.spec.shutdown_timeout_s
            )
            await self._kill()
            raise DrainCutShortError("killed after its shutdown timeout") from None
        logger.info("%s stopped (%s)", self.name, describe_exit(code))
        if code == EXIT_INTERRUPTED:
            raise DrainCutShortError("its drain was cut short (exit code 130)")
        if code != 0:
            raise ChildExitedError(describe_exit(code))

    async def _kill(self) -> None:
        """SIGKILL to the child's process group (it and anything it spawned), reaped."""
        process = self._process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), _REAP_TIMEOUT_S)

    async def stop(self) -> None:
        """Release the child. It has exited unless it never ran (a later child failed
        to start): then it is asked to stop (SIGTERM), and killed past its timeout."""
        process = self._process
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), self.spec.shutdown_timeout_s)
        await self._kill()
        echo, self._echo = self._echo, None
        if echo is not None:
            # stdout reaches EOF once the child (and its group) is gone.
            try:
                await asyncio.wait_for(echo, _REAP_TIMEOUT_S)
            except TimeoutError:
                logger.warning("%s: stdout still open after exit", self.name)
