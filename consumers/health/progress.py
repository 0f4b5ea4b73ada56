"""When the consume loop last made progress, and whether it has partitions to make it on.

The loop calls `moved()` after each poll it finished (a batch done, or nothing to do)
and, in the writer, after each record; a failed batch or a retry is not progress. The
group listener reports assignments. Pure bookkeeping: no I/O, a clock passed in.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Protocol


class Progress:
    def __init__(
        self, stall_timeout_s: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stall_timeout_s = stall_timeout_s
        self._clock = clock
        self._last = clock()
        self._partitions: frozenset[int] = frozenset()

    @property
    def partitions(self) -> frozenset[int]:
        """The partitions assigned to this process now."""
        return self._partitions

    def moved(self) -> None:
        self._last = self._clock()

    def assigned(self, partitions: Iterable[int]) -> None:
        # Called from inside the poll (aiokafka runs rebalances there): time spent without
        # partitions, or in the join, is not a stall of the new assignment.
        self._partitions = self._partitions | frozenset(partitions)
        self._last = self._clock()

    def revoked(self, partitions: Iterable[int]) -> None:
        self._partitions = self._partitions - frozenset(partitions)

    def stalled_for(self) -> float | None:
        """Seconds without progress once past the timeout while partitions are assigned;
        None while healthy (an idle member without partitions never stalls)."""
        if not self._partitions:
            return None
        idle = self._clock() - self._last
        return idle if idle > self.stall_timeout_s else None


class Monitored(Protocol):
    """A consumer service the health server reports on."""

    @property
    def progress(self) -> Progress: ...

    async def not_ready(self) -> str | None:
        """None when ready to work, else why not (short, safe to show: no secrets)."""
