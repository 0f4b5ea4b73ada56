"""Inside `up`, the consumers at equal and at lower CPU priority, in interleaved runs.

On a two-core machine `up`'s second core holds the broker, the aggregator, the results
writer and the load generator; the front door waits for the broker's acknowledgements.
Each round starts `up` once per niceness (`CALIPER_CONSUMERS_NICE`), in turn, so a noisy
minute of a shared machine hits every variant. Per variant and envelope size it prints
the peak rate (closed loop, as benchmarks/http.py), its p99, and what each stage cost in
CPU per event once the consumers had caught up with everything sent: the sustained
capacity of the pipeline, which a 5 s burst does not show.

    .venv/bin/python benchmarks/up_priority.py [--nice 0,10] [--rounds 3] [--seconds 5]
"""

from __future__ import annotations

import argparse
from typing import Final

import uvloop

from benchmarks.cpus import Layout
from benchmarks.http_processes import HOST, Issuer
from benchmarks.http_requests import prebuilt_requests
from benchmarks.http_up import UpProcess
from benchmarks.loadgen import run_load
from benchmarks.up_rounds import CONNECTIONS, interleaved, print_ratios

STAGES: Final = ("front door", "broker", "aggregator", "results writer")


async def one_variant(
    nice: int, issuer: Issuer, cpus: Layout, seconds: float
) -> dict[int, tuple[float, float, dict[str, float]]]:
    """Per envelope size: (events/s, p99 ms, CPU microseconds per event by stage)."""
    env = {"CALIPER_CONSUMERS_NICE": str(nice)}
    results: dict[int, tuple[float, float, dict[str, float]]] = {}
    with UpProcess(
        issuer_dir=issuer.directory, server=cpus.server, others=cpus.others, env=env
    ) as up:
        for size in (100, 1):
            requests = prebuilt_requests(up.port, size, token=issuer.token)
            bound = {"connections": CONNECTIONS[size], "max_requests": 1_000_000}
            await run_load(HOST, up.port, requests, duration_s=1.5, **bound)
            before = await up.caught_up()
            result = await run_load(HOST, up.port, requests, duration_s=seconds, **bound)
            after = await up.caught_up()
            if result.not_ok:
                raise RuntimeError(f"nice {nice}: {result.statuses}")
            events = result.ok * size
            cost = {name: (after[name] - before[name]) / events * 1e6 for name in STAGES}
            results[size] = (events / result.elapsed_s, result.percentile_ms(0.99), cost)
    return results


def line(nice: int, size: int, figures: tuple[float, float, dict[str, float]]) -> str:
    rate, p99, cost = figures
    stages = "  ".join(f"{name} {cost[name]:6.1f}" for name in STAGES)
    head = f"nice {nice:2d}  {size:3d}-event  {rate:8,.0f} ev/s  p99 {p99:6.1f} ms"
    return f"{head}  us/event: {stages}"


async def main_async(args: argparse.Namespace) -> None:
    async def measure(
        nice: int, issuer: Issuer, cpus: Layout
    ) -> tuple[list[str], dict[int, float]]:
        figures = await one_variant(nice, issuer, cpus, args.seconds)
        lines = [line(nice, size, sizes) for size, sizes in figures.items()]
        return lines, {size: sizes[0] for size, sizes in figures.items()}

    peaks = await interleaved(args.nice, args.rounds, measure)
    print_ratios(peaks, args.nice, lambda nice: f"nice {nice}")


def _nice_values(text: str) -> list[int]:
    values = [int(part) for part in text.split(",") if part]
    if len(values) < 2 or not all(0 <= v <= 19 for v in values):
        raise argparse.ArgumentTypeError("two or more values from 0 to 19, the first the base")
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--nice", type=_nice_values, default=[0, 10])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each peak run")
    uvloop.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
