"""Where the benchmark's processes run: one core for the server, the other for the rest.

`sched_setaffinity` sets one thread; a process that already runs several threads (the
Tansu broker's runtime, granian's Rust threads) is pinned thread by thread through
/proc, and the result is read back rather than assumed.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Final

_CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Layout:
    """The server alone on one core; load generator and broker on another."""

    server: frozenset[int]
    others: frozenset[int]

    @property
    def separate(self) -> bool:
        return not self.server & self.others


def layout() -> Layout:
    """Two distinct cores where this process may use two, else everything shares."""
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) >= 2:
        return Layout(frozenset(allowed[:1]), frozenset(allowed[1:2]))
    return Layout(frozenset(allowed), frozenset(allowed))


def _threads(pid: int) -> list[int]:
    try:
        return [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except FileNotFoundError:
        return []


def pin(pid: int, cpus: frozenset[int]) -> None:
    """Every current thread of `pid`; threads it starts later inherit the mask."""
    for tid in _threads(pid):
        with contextlib.suppress(ProcessLookupError):  # the thread ended meanwhile
            os.sched_setaffinity(tid, cpus)


def parse_cpu_list(text: str) -> set[int]:
    """`0-1,3` as in /proc/*/status `Cpus_allowed_list`."""
    cpus: set[int] = set()
    for part in text.strip().split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    return cpus


def allowed(pid: int) -> list[int]:
    """The CPUs any thread of `pid` may run on, read back from the kernel."""
    cpus: set[int] = set()
    for tid in _threads(pid):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as status:
                for line in status:
                    if line.startswith("Cpus_allowed_list:"):
                        cpus |= parse_cpu_list(line.split(":", 1)[1])
        except FileNotFoundError:
            continue
    return sorted(cpus)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the whole process (all threads), 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # The command name may hold spaces and parentheses: fields follow the last ')'.
            fields = stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def core_times() -> dict[int, tuple[int, int]]:
    """Per core (busy, total) ticks since boot, from /proc/stat: every process counts,
    so a core busy with someone else's work shows up here and not in `cpu_seconds`."""
    times: dict[int, tuple[int, int]] = {}
    with open("/proc/stat") as stat:
        for line in stat:
            name, *values = line.split()
            if not name.startswith("cpu") or name == "cpu":
                continue
            ticks = [int(v) for v in values]
            idle = ticks[3] + ticks[4]  # idle + iowait
            times[int(name[3:])] = (sum(ticks[:8]) - idle, sum(ticks[:8]))
    return times
