"""The command line of benchmarks/http.py: its options and their defaults."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Final

RESULTS: Final = Path(__file__).resolve().parent / "results"


def _fractions(text: str) -> list[float]:
    values = {float(part) for part in text.split(",") if part}
    if not all(0 < v < 1 for v in values):
        raise argparse.ArgumentTypeError("fractions of the peak are between 0 and 1")
    return sorted(values | {0.5})  # half peak is always measured (the p99 target)


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each run")
    parser.add_argument("--connections", type=int, default=64, help="for 1-event runs")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per run")
    parser.add_argument(
        "--server",
        choices=["uvicorn", "granian", "both"],
        default="both",
        help="HTTP server of our front door (the baseline stays on uvicorn)",
    )
    parser.add_argument(
        "--auth",
        choices=["both", "on", "off"],
        default="both",
        help="both: auth on (headline, full curves), then off",
    )
    parser.add_argument(
        "--fractions",
        type=_fractions,
        default=[0.1, 0.25, 0.5, 0.75, 0.9],
        help="open-loop rates as fractions of the closed-loop peak",
    )
    parser.add_argument(
        "--ceiling",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="first measure the load generator against a trivial app",
    )
    parser.add_argument(
        "--up",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also load the front door inside `caliper-pipeline up` (consumers running)",
    )
    parser.add_argument("--json", type=Path, default=RESULTS / "http.json")
    parser.add_argument("--plot", type=Path, default=RESULTS / "http.png")
    return parser.parse_args()
