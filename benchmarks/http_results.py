"""What benchmarks/http.py measured: points of the latency-throughput curves, the
printed table, the ratios against the baseline and the JSON document."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson

from benchmarks.loadgen import LoadResult

BASELINE: Final = "baseline"
PROCESSES: Final = ("server", "loadgen", "broker")
# The targets, checked on the headline pass (not tuned to: reported).
TARGET_EVENTS_PER_S: Final = 25_000.0  # 100-event envelopes
TARGET_RATIO_100: Final = 5.0
TARGET_REQUESTS_PER_S: Final = 5_000.0  # 1-event envelopes
TARGET_RATIO_1: Final = 3.0
TARGET_P99_MS: Final = 50.0  # at half of peak


@dataclass
class Point:
    """One bounded run: closed loop (`peak`) or an open-loop rate (`open`)."""

    server: str  # "ours/uvicorn", "ours/granian", "baseline"
    auth: bool
    events: int  # per envelope
    load: str
    fraction: float | None  # of the peak, for open-loop runs
    offered_per_s: float | None  # requests/s scheduled, for open-loop runs
    connections: int
    requests_per_s: float
    events_per_s: float
    p50_ms: float
    p99_ms: float
    ok: int
    not_ok: int
    statuses: dict[str, int]
    elapsed_s: float
    # Share of one core each process used during the run (1.0 = a core fully busy).
    cpu: dict[str, float] = field(default_factory=dict)
    # Inside `up`: seconds the consumers took after the run to read all it had sent.
    catch_up_s: float | None = None

    @classmethod
    def of(
        cls,
        result: LoadResult,
        *,
        server: str,
        auth: bool,
        events: int,
        connections: int,
        fraction: float | None = None,
        offered_per_s: float | None = None,
        cpu: dict[str, float] | None = None,
    ) -> Point:
        rps = result.ok / result.elapsed_s if result.elapsed_s else 0.0
        return cls(
            server=server,
            auth=auth,
            events=events,
            load="peak" if fraction is None else "open",
            fraction=fraction,
            offered_per_s=offered_per_s,
            connections=connections,
            requests_per_s=rps,
            events_per_s=rps * events,
            p50_ms=result.percentile_ms(0.5),
            p99_ms=result.percentile_ms(0.99),
            ok=result.ok,
            not_ok=result.not_ok,
            statuses={str(k): v for k, v in sorted(result.statuses.items())},
            elapsed_s=result.elapsed_s,
            cpu=cpu or {},
        )

    @property
    def label(self) -> str:
        return "peak" if self.fraction is None else f"open {self.fraction:.0%}"

    def line(self) -> str:
        cpu = " ".join(f"{self.cpu.get(k, math.nan):>8.0%}" for k in PROCESSES)
        cores = " ".join(f"{v:>4.0%}" for k, v in sorted(self.cpu.items()) if k.startswith("core"))
        return (
            f"{self.server:12} {'on' if self.auth else 'off':4} {self.events:>4} {self.label:9}"
            f" {self.requests_per_s:>8.0f} {self.events_per_s:>9.0f} {self.p50_ms:>8.2f}"
            f" {self.p99_ms:>8.2f} {self.not_ok:>6} {cpu} | {cores}"
            + ("" if self.catch_up_s is None else f" | caught up in {self.catch_up_s:.0f} s")
        )


HEADER: Final = (
    f"{'server':12} {'auth':4} {'ev/r':>4} {'load':9} {'req/s':>8} {'events/s':>9}"
    f" {'p50 ms':>8} {'p99 ms':>8} {'non200':>6} {'server%':>8} {'loadgen%':>8}"
    f" {'broker%':>8} | cores busy"
)


def peak(points: Iterable[Point], server: str, auth: bool, events: int) -> Point | None:
    for p in points:
        if (p.server, p.auth, p.events, p.load) == (server, auth, events, "peak"):
            return p
    return None


def half_peak(points: Iterable[Point], server: str, auth: bool, events: int) -> Point | None:
    """The open-loop run at 50% of peak (the driver always runs that fraction)."""
    for p in points:
        if (p.server, p.auth, p.events, p.fraction) == (server, auth, events, 0.5):
            return p
    return None


def ratios(points: Sequence[Point]) -> list[dict[str, Any]]:
    """Ours / baseline at peak, per server, auth mode and envelope size (same run)."""
    rows = []
    for p in points:
        if p.load != "peak" or p.server == BASELINE:
            continue
        base = peak(points, BASELINE, p.auth, p.events)
        if base is None or not base.requests_per_s:
            continue
        rows.append(
            {
                "server": p.server,
                "auth": p.auth,
                "events": p.events,
                "ratio": p.requests_per_s / base.requests_per_s,
            }
        )
    return rows


def targets(points: Sequence[Point], auth: bool) -> list[dict[str, Any]]:
    """Each of the issue's targets for each of our servers: the figure and met or not."""
    ratio = {(r["server"], r["events"]): r["ratio"] for r in ratios(points) if r["auth"] == auth}
    checks: list[dict[str, Any]] = []

    def check(server: str, name: str, value: float | None, goal: float, above: bool) -> None:
        met = value is not None and (value >= goal if above else value < goal)
        checks.append({"server": server, "target": name, "value": value, "met": met})

    for server in dict.fromkeys(p.server for p in points if p.server != BASELINE):
        hundred, one = peak(points, server, auth, 100), peak(points, server, auth, 1)
        check(
            server,
            "100-event events/s >= 25000",
            None if hundred is None else hundred.events_per_s,
            TARGET_EVENTS_PER_S,
            True,
        )
        check(server, "100-event ratio >= 5x", ratio.get((server, 100)), TARGET_RATIO_100, True)
        check(
            server,
            "1-event req/s >= 5000",
            None if one is None else one.requests_per_s,
            TARGET_REQUESTS_PER_S,
            True,
        )
        check(server, "1-event ratio >= 3x", ratio.get((server, 1)), TARGET_RATIO_1, True)
        for events in (1, 100):
            half = half_peak(points, server, auth, events)
            check(
                server,
                f"{events}-event p99 at half peak < 50 ms",
                None if half is None else half.p99_ms,
                TARGET_P99_MS,
                False,
            )
    return checks


def summary_lines(points: Sequence[Point], headline_auth: bool) -> list[str]:
    lines = ["ratios (ours / baseline, peak requests/s, same run):"]
    for r in ratios(points):
        auth = "auth on" if r["auth"] else "auth off"
        lines.append(f"  {r['server']:12} {auth:8} {r['events']:>3}-event: {r['ratio']:.1f}x")
    lines.append(f"targets (auth {'on' if headline_auth else 'off'}):")
    for t in targets(points, headline_auth):
        value = "n/a" if t["value"] is None else f"{t['value']:.1f}"
        lines.append(
            f"  {t['server']:12} {t['target']:38} {value:>9}  {'met' if t['met'] else 'MISSED'}"
        )
    return lines


def write_json(path: Path, meta: dict[str, Any], points: Sequence[Point]) -> None:
    headline = bool(meta.get("headline_auth", True))
    document = {
        **meta,
        "points": [asdict(p) for p in points],
        "ratios": ratios(points),
        "targets": targets(points, headline),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
