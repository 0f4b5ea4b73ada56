"""Lag series follow the assignment: removed on revoke, kept only for what is assigned;
zeroed instead under prometheus_client's multiprocess mode (where removal is a no-op)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry, Gauge

from consumers.lag import PartitionLag
from tests.conftest import REPO_ROOT

NAME = "test_consumer_lag_records"


def lag_gauge() -> tuple[PartitionLag, CollectorRegistry]:
    registry = CollectorRegistry()
    gauge = Gauge(NAME, "lag", ["partition"], registry=registry)
    return PartitionLag(gauge), registry


def series(registry: CollectorRegistry) -> dict[str, float]:
    return {
        sample.labels["partition"]: sample.value
        for metric in registry.collect()
        for sample in metric.samples
        if sample.name == NAME
    }


def tps(*partitions: int) -> list[TopicPartition]:
    return [TopicPartition("events", p) for p in partitions]


def test_revoked_partitions_lose_their_series() -> None:
    lag, registry = lag_gauge()
    for partition in range(4):
        lag.set(partition, 10 * partition)
    lag.set(1, -3)  # a highwater seen before the position moved: never negative
    lag.forget(tps(0, 2))
    assert series(registry) == {"1": 0.0, "3": 30.0}
    assert lag.partitions == {1, 3}
    lag.forget(tps(0, 7))  # not shown: nothing to do
    assert series(registry) == {"1": 0.0, "3": 30.0}


def test_keep_only_drops_what_the_new_assignment_lacks() -> None:
    lag, registry = lag_gauge()
    for partition in range(4):
        lag.set(partition, 5)
    lag.keep_only(tps(2, 3, 9))
    assert series(registry) == {"2": 5.0, "3": 5.0}


def test_multiprocess_mode_zeroes_instead_of_removing(tmp_path: os.PathLike[str]) -> None:
    """In its own process: prometheus_client picks its value class at import time."""
    script = textwrap.dedent(
        f"""
        import warnings
        warnings.simplefilter("error")  # remove() would warn and leave the file's value
        from aiokafka import TopicPartition
        from prometheus_client import CollectorRegistry, Gauge
        from prometheus_client.multiprocess import MultiProcessCollector
        from consumers.lag import PartitionLag
        gauge = Gauge("{NAME}", "lag", ["partition"], registry=None)
        lag = PartitionLag(gauge)
        lag.set(0, 7)
        lag.set(1, 9)
        lag.forget([TopicPartition("events", 1)])
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        values = sorted(
            (s.labels["partition"], s.value)
            for m in registry.collect() for s in m.samples if s.name == "{NAME}"
        )
        print(values, sorted(lag.partitions))
        """
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[('0',", "7.0),", "('1',", "0.0)]", "[0]"]
