"""Consumer lag per partition, whose series follow the group's assignment.

A partition revoked from this process loses its series at once: another member
reports it now, and a stale value would inflate the lag panel and alert. In
prometheus_client's multiprocess mode (the consumers under `up`) a series cannot be
removed (its value lives in a file; `remove()` only warns), so it is set to 0
instead: under `up` one process holds every partition, so a revoked partition is
either assigned again at once (and refreshed) or the process is stopping.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Final

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from prometheus_client import Gauge

# prometheus_client's own switch (read the same way in `MetricWrapperBase.remove`).
_MULTIPROCESS_ENV: Final = ("PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir")


def multiprocess_mode() -> bool:
    return any(name in os.environ for name in _MULTIPROCESS_ENV)


class PartitionLag:
    """`refresh(consumer)` after each poll (or `set` from a batch); from the group
    listener, `forget(revoked)` and `keep_only(assigned)`."""

    def __init__(self, gauge: Gauge) -> None:
        self._gauge = gauge
        self._multiprocess = multiprocess_mode()
        self._shown: set[int] = set()

    @property
    def partitions(self) -> frozenset[int]:
        """The partitions that have a series now."""
        return frozenset(self._shown)

    def set(self, partition: int, lag: int) -> None:
        self._gauge.labels(str(partition)).set(max(0, lag))
        self._shown.add(partition)

    async def refresh(self, consumer: AIOKafkaConsumer) -> None:
        for tp in consumer.assignment():
            # A rebalance can run at each await below: only set what is still ours.
            if tp not in consumer.assignment():
                continue
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue  # nothing fetched yet: the next refresh has it
            try:
                position = await consumer.position(tp)
            except KafkaError:  # revoked meanwhile (IllegalStateError)
                continue
            if tp in consumer.assignment():
                self.set(tp.partition, highwater - position)

    def forget(self, revoked: Iterable[TopicPartition]) -> None:
        for partition in {tp.partition for tp in revoked} & self._shown:
            self._shown.discard(partition)
            if self._multiprocess:
                self._gauge.labels(str(partition)).set(0)
            else:
                self._gauge.remove(str(partition))

    def keep_only(self, assigned: Iterable[TopicPartition]) -> None:
        """aiokafka keeps the old assignment until the join completes, so a refresh
        during the join may have shown a revoked partition again: drop it now."""
        keep = {tp.partition for tp in assigned}
        self.forget(TopicPartition("", p) for p in self._shown - keep)
