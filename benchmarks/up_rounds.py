"""Interleaved rounds inside `up`: each round starts `up` once per variant, in turn, so a
noisy minute of a shared machine hits every variant; then each variant's peaks against
the first variant's, round by round."""

from __future__ import annotations

import os
import statistics
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Final, TypeVar

from benchmarks.cpus import Layout, layout, pin
from benchmarks.http_processes import Issuer

# Connections per envelope size, as benchmarks/http.py with its defaults.
CONNECTIONS: Final = {1: 64, 100: 16}
V = TypeVar("V")
# One variant measured: lines to print, and the peak (events/s) per envelope size.
Measure = Callable[[V, Issuer, Layout], Awaitable[tuple[list[str], dict[int, float]]]]


async def interleaved(
    variants: Sequence[V], rounds: int, measure: Measure[V]
) -> dict[tuple[V, int], list[float]]:
    """The peaks per (variant, envelope size), one per round; prints as it goes."""
    cpus = layout()
    pin(os.getpid(), cpus.others)
    if not cpus.separate:
        print("ONE CPU ONLY: the comparison needs two")
    issuer = Issuer()
    peaks: dict[tuple[V, int], list[float]] = {}
    try:
        for round_ in range(1, rounds + 1):
            print(f"round {round_}", flush=True)
            for variant in variants:
                lines, peak = await measure(variant, issuer, cpus)
                for text in lines:
                    print("  " + text, flush=True)
                for size, rate in peak.items():
                    peaks.setdefault((variant, size), []).append(rate)
    finally:
        issuer.close()
    return peaks


def print_ratios(
    peaks: Mapping[tuple[V, int], list[float]], variants: Sequence[V], name: Callable[[V], str]
) -> None:
    first = variants[0]
    for size in (1, 100):
        for variant in variants[1:]:
            pairs = zip(peaks[(variant, size)], peaks[(first, size)], strict=True)
            ratios = [ours / base for ours, base in pairs]
            print(
                f"{size:3d}-event peak, {name(variant)} vs {name(first)}: "
                + " / ".join(f"{r:.2f}x" for r in ratios)
                + f" (median {statistics.median(ratios):.2f}x)"
            )
