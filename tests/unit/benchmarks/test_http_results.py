"""benchmarks/http.py's results: ratios, the targets' verdicts, the JSON and the plot."""

from __future__ import annotations

from pathlib import Path

import orjson

from benchmarks.cpus import parse_cpu_list
from benchmarks.http_plot import plot
from benchmarks.http_results import Point, ratios, targets, write_json
from benchmarks.loadgen import LoadResult


def point(
    server: str,
    events: int,
    requests_per_s: float,
    *,
    fraction: float | None = None,
    p99_ms: float = 10.0,
    auth: bool = True,
) -> Point:
    count = int(requests_per_s)
    result = LoadResult(
        latencies_s=[p99_ms / 1000] * count, statuses={200: count, 503: 1}, elapsed_s=1.0
    )
    return Point.of(
        result, server=server, auth=auth, events=events, connections=8, fraction=fraction
    )


def curves() -> list[Point]:
    return [
        point("ours/uvicorn", 1, 6000),
        point("ours/uvicorn", 1, 3000, fraction=0.5, p99_ms=20),
        point("ours/uvicorn", 100, 200),
        point("ours/uvicorn", 100, 100, fraction=0.5, p99_ms=60),
        point("baseline", 1, 1500),
        point("baseline", 100, 50),
        point("ours/uvicorn", 1, 100, auth=False),
    ]


def test_a_point_counts_only_200s_and_events_per_envelope() -> None:
    p = point("ours/uvicorn", 100, 200)
    assert (p.requests_per_s, p.events_per_s, p.not_ok) == (200, 20_000, 1)
    assert p.statuses == {"200": 200, "503": 1}
    assert p.load == "peak"
    assert point("baseline", 1, 10, fraction=0.25).label == "open 25%"


def test_ratios_compare_with_the_baseline_of_the_same_auth_mode() -> None:
    found = {(r["server"], r["auth"], r["events"]): r["ratio"] for r in ratios(curves())}
    # No auth-off baseline was measured: no auth-off ratio is made up.
    assert found == {("ours/uvicorn", True, 1): 4.0, ("ours/uvicorn", True, 100): 4.0}


def test_targets_report_each_figure_and_verdict() -> None:
    verdicts = {t["target"]: (t["value"], t["met"]) for t in targets(curves(), auth=True)}
    assert verdicts == {
        "100-event events/s >= 25000": (20_000, False),
        "100-event ratio >= 5x": (4.0, False),
        "1-event req/s >= 5000": (6000, True),
        "1-event ratio >= 3x": (4.0, True),
        "1-event p99 at half peak < 50 ms": (20.0, True),
        "100-event p99 at half peak < 50 ms": (60.0, False),
    }


def test_a_target_without_its_run_is_missed_not_met() -> None:
    only_peaks = [p for p in curves() if p.fraction is None]
    verdicts = {t["target"]: (t["value"], t["met"]) for t in targets(only_peaks, auth=True)}
    assert verdicts["1-event p99 at half peak < 50 ms"] == (None, False)


def test_json_document_holds_points_ratios_and_targets(tmp_path: Path) -> None:
    empty = Point.of(
        LoadResult(elapsed_s=1.0), server="baseline", auth=True, events=1, connections=1
    )
    path = tmp_path / "nested" / "http.json"
    write_json(path, {"headline_auth": True, "seconds": 1.0}, [*curves(), empty])
    document = orjson.loads(path.read_bytes())
    assert document["seconds"] == 1.0
    assert len(document["points"]) == len(curves()) + 1
    assert document["points"][0]["server"] == "ours/uvicorn"
    assert document["points"][-1]["p99_ms"] is None  # no answer: no latency, not NaN
    assert len(document["ratios"]) == 2
    assert len(document["targets"]) == 6


def test_plot_is_a_png(tmp_path: Path) -> None:
    path = tmp_path / "http.png"
    plot(curves(), path, auth=True, title="test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cpu_lists_as_the_kernel_writes_them() -> None:
    assert parse_cpu_list("0-2,5\n") == {0, 1, 2, 5}
    assert parse_cpu_list("1") == {1}
