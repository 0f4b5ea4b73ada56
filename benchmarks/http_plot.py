"""The latency-vs-throughput plot of benchmarks/http.py (PNG, matplotlib's Agg canvas;
no pyplot, so no global backend or display is involved).

One panel per envelope size; per server, p99 (solid) and p50 (dashed) latency against
the achieved throughput of each open-loop rate and of the closed-loop peak (marked:
its latency is mostly queueing behind the other connections' requests).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib import rcParams
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

from benchmarks.http_results import TARGET_P99_MS, Point


def plot(points: Sequence[Point], path: Path, *, auth: bool, title: str) -> None:
    chosen = [p for p in points if p.auth == auth]
    sizes = sorted({p.events for p in chosen})
    servers = list(dict.fromkeys(p.server for p in chosen))  # in the order measured
    columns = max(1, len(sizes))
    figure = Figure(figsize=(6.4 * columns, 4.8))
    FigureCanvasAgg(figure)
    panels = [figure.add_subplot(1, columns, i + 1) for i in range(columns)]
    colors = rcParams["axes.prop_cycle"].by_key()["color"]
    for panel, events in zip(panels, sizes, strict=False):
        for index, server in enumerate(servers):
            curve = sorted(
                (p for p in chosen if p.server == server and p.events == events),
                key=lambda p: 1.0 if p.fraction is None else p.fraction,  # by offered load
            )
            if not curve:
                continue
            x = [p.events_per_s for p in curve]
            color = colors[index % len(colors)]
            panel.plot(x, [p.p99_ms for p in curve], "o-", color=color, label=f"{server} p99")
            panel.plot(x, [p.p50_ms for p in curve], "s--", color=color, label=f"{server} p50")
            top = next((p for p in curve if p.load == "peak"), curve[-1])
            panel.annotate("peak", (top.events_per_s, top.p99_ms), textcoords="offset points",
                           xytext=(4, 4), fontsize="x-small", color=color)  # fmt: skip
        panel.axhline(TARGET_P99_MS, color="grey", linewidth=0.8, linestyle=":", label="p99 target")
        panel.set_yscale("log")
        panel.yaxis.set_major_formatter(ScalarFormatter())
        panel.set_xlim(left=0)
        panel.set_xlabel("achieved events/s")
        panel.set_ylabel("latency (ms)")
        panel.set_title(f"{events}-event envelopes")
        panel.grid(True, which="both", alpha=0.3)
        panel.legend(fontsize="small")
    figure.suptitle(f"{title} (auth {'on' if auth else 'off'})")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
