"""One /metrics for every stage of `up`, though each runs in its own process.

The consumer children of `up` run in prometheus_client's documented multiprocess mode
(`PROMETHEUS_MULTIPROC_DIR`: each process writes its values to files there). The front
door child does not (its hot path keeps in-memory metrics) and reads the consumers'
files on each scrape through `ChildMetrics`, registered beside its own metrics. The
directory is new for each start of `up` and removed when it stops.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Final

from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
# Multiprocess mode labels each gauge sample with the process that wrote it.
_PID_LABEL: Final = "pid"


class ChildMetrics:
    """A collector of the metrics other processes wrote to `directory`.

    Gauges lose the `pid` label multiprocess mode adds: each consumer of `up` is one
    process (a child that dies stops `up`, it is not restarted), so the series keep the
    names and labels they have under `aggregate` and `results`.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def collect(self) -> Iterable[Metric]:
        files = sorted(str(path) for path in self.directory.glob("*.db"))
        # merge() is public but unannotated in prometheus_client.
        merged: list[Metric] = MultiProcessCollector.merge(files, accumulate=True)  # type: ignore[no-untyped-call]
        for metric in merged:
            metric.samples = [
                sample._replace(labels={k: v for k, v in sample.labels.items() if k != _PID_LABEL})
                for sample in metric.samples
            ]
            yield metric
