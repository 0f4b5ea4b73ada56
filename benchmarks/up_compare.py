"""Inside `up`, one setting at two or more values, in interleaved runs.

Each round starts `up` once per value of the setting (an environment variable), in turn,
so a noisy minute of a shared machine hits every variant. Per variant: 1-event envelopes
at a fixed rate (open loop) in consecutive segments, each with the front door's p50/p99
and the broker's CPU share while the broker's log grows (it walks every batch it stores
on each fetch: benchmarks/broker_fetch.py), then the closed-loop peaks on both envelope
sizes (as benchmarks/http.py, auth on).

    .venv/bin/python benchmarks/up_compare.py [--setting CALIPER_UP_IDLE_BETWEEN_POLLS_MS]
        [--values 0,200] [--rounds 2] [--rate 1000] [--segments 4] [--seconds 10]
"""

from __future__ import annotations

import argparse
import time
from typing import Final

import uvloop

from benchmarks.cpus import Layout, cpu_seconds
from benchmarks.http_processes import HOST, Issuer
from benchmarks.http_requests import prebuilt_requests
from benchmarks.http_up import UpProcess
from benchmarks.loadgen import LoadResult, run_load
from benchmarks.up_rounds import CONNECTIONS, interleaved, print_ratios

PEAK_S: Final = 5.0


def _checked(result: LoadResult, what: str) -> LoadResult:
    if result.not_ok:
        raise RuntimeError(f"{what}: {result.statuses}")
    return result


async def one_variant(
    value: str, issuer: Issuer, cpus: Layout, args: argparse.Namespace
) -> tuple[list[str], dict[int, float]]:
    """Lines to print, and the peak per envelope size (events/s)."""
    env = {args.setting: value}
    lines, peaks = [], {}
    with UpProcess(
        issuer_dir=issuer.directory, server=cpus.server, others=cpus.others, env=env
    ) as up:
        broker = up.pids["broker"]
        one = prebuilt_requests(up.port, 1, token=issuer.token)
        for segment in range(1, args.segments + 1):
            before, started = cpu_seconds(broker), time.perf_counter()
            result = _checked(
                await run_load(
                    HOST, up.port, one, connections=CONNECTIONS[1], duration_s=args.seconds,
                    max_requests=10**8, rate_per_s=args.rate,
                ),
                f"{value}, segment {segment}",
            )  # fmt: skip
            busy = (cpu_seconds(broker) - before) / (time.perf_counter() - started)
            lines.append(
                f"{value:>8}  {args.rate:,.0f} req/s, segment {segment}: "
                f"p50 {result.percentile_ms(0.5):6.1f}  p99 {result.percentile_ms(0.99):6.1f} ms"
                f"  broker CPU {busy:4.0%}"
            )
        for size in (1, 100):
            requests = prebuilt_requests(up.port, size, token=issuer.token)
            result = _checked(
                await run_load(
                    HOST, up.port, requests, connections=CONNECTIONS[size], duration_s=PEAK_S,
                    max_requests=10**8,
                ),
                f"{value}, {size}-event peak",
            )  # fmt: skip
            peaks[size] = result.ok * size / result.elapsed_s
            lines.append(
                f"{value:>8}  {size:3d}-event peak {peaks[size]:9,.0f} events/s"
                f"  p99 {result.percentile_ms(0.99):6.1f} ms"
            )
    return lines, peaks


async def main_async(args: argparse.Namespace) -> None:
    print(f"{args.setting} = {', '.join(args.values)}")

    async def measure(
        value: str, issuer: Issuer, cpus: Layout
    ) -> tuple[list[str], dict[int, float]]:
        return await one_variant(value, issuer, cpus, args)

    peaks = await interleaved(args.values, args.rounds, measure)
    print_ratios(peaks, args.values, str)


def _values(text: str) -> list[str]:
    values = [part for part in text.split(",") if part]
    if len(values) < 2:
        raise argparse.ArgumentTypeError("two or more values, the first the base")
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--setting", default="CALIPER_UP_IDLE_BETWEEN_POLLS_MS")
    parser.add_argument("--values", type=_values, default=["0", "200"])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rate", type=float, default=1000.0, help="1-event requests/s")
    parser.add_argument("--segments", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each segment")
    uvloop.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
