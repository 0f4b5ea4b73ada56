"""Liveness bookkeeping: stalled only past the timeout, and only with partitions."""

from __future__ import annotations

import pytest

from consumers.health.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_without_partitions_a_quiet_loop_is_never_stalled(clock: Clock) -> None:
    progress = Progress(5.0, clock=clock)
    clock.now += 3600
    assert progress.stalled_for() is None


def test_with_partitions_stalled_after_the_timeout_until_it_moves(clock: Clock) -> None:
    progress = Progress(5.0, clock=clock)
    progress.assigned([0, 1])
    clock.now += 5.0
    assert progress.stalled_for() is None  # at the timeout: not yet
    clock.now += 0.5
    assert progress.stalled_for() == pytest.approx(5.5)
    progress.moved()
    assert progress.stalled_for() is None


def test_an_assignment_restarts_the_clock(clock: Clock) -> None:
    """Time spent idle without partitions (or in the join) is not a stall."""
    progress = Progress(5.0, clock=clock)
    clock.now += 60
    progress.assigned([3])
    assert progress.stalled_for() is None
    clock.now += 6
    assert progress.stalled_for() == pytest.approx(6)


def test_revoking_every_partition_ends_a_stall(clock: Clock) -> None:
    progress = Progress(5.0, clock=clock)
    progress.assigned([0, 1, 2])
    clock.now += 10
    progress.revoked([0, 1])
    assert progress.partitions == {2}
    assert progress.stalled_for() is not None
    progress.revoked([2])
    assert progress.partitions == frozenset()
    assert progress.stalled_for() is None
