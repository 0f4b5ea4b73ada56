"""The front door's /metrics in `up` shows what the consumer processes counted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, generate_latest

from caliper_pipeline.child_metrics import MULTIPROC_ENV, ChildMetrics

# A consumer process in multiprocess mode, as `up` runs the aggregator.
CONSUMER = """
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
registry = CollectorRegistry()
Counter("demo_facts", "Facts.", ["event_type"], registry=registry).labels("ActivityEvent").inc(2)
Gauge("demo_lag_records", "Lag.", ["partition"], registry=registry).labels("3").set(7)
Histogram("demo_batch_seconds", "Batch.", buckets=(1, 5), registry=registry).observe(2)
"""


def test_the_consumers_metrics_show_beside_the_front_doors_own(tmp_path: Path) -> None:
    env = {**os.environ, MULTIPROC_ENV: str(tmp_path)}
    subprocess.run([sys.executable, "-c", CONSUMER], env=env, check=True, timeout=30)
    registry = CollectorRegistry()
    Counter("door_requests", "Requests.", registry=registry).inc()
    registry.register(ChildMetrics(tmp_path))
    text = generate_latest(registry).decode()
    lines = set(text.splitlines())
    assert "door_requests_total 1.0" in lines
    assert 'demo_facts_total{event_type="ActivityEvent"} 2.0' in lines
    # Without the `pid` label multiprocess mode adds: the series `aggregate` would show.
    assert 'demo_lag_records{partition="3"} 7.0' in lines
    assert 'demo_batch_seconds_bucket{le="1.0"} 0.0' in lines
    assert 'demo_batch_seconds_bucket{le="5.0"} 1.0' in lines
    assert "demo_batch_seconds_count 1.0" in lines
    assert "pid=" not in text


def test_nothing_written_yet_is_nothing_shown(tmp_path: Path) -> None:
    assert list(ChildMetrics(tmp_path).collect()) == []
