"""HTTP throughput and latency: our front door vs a plain FastAPI + send_and_wait baseline.

    python benchmarks/http.py [--seconds 5] [--connections 64]

Prints requests/s, events/s, p50 and p99 for 1-event and 100-event envelopes, at peak
(closed loop) and at half of peak (open loop), for both servers, then the ratios.
The load generator is pure Python (raw asyncio streams, keep-alive); see
benchmarks/loadgen.py. The work is in benchmarks/http_bench.py.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _without_this_folder() -> None:
    # A script in benchmarks/ puts this folder first on sys.path, where this file would
    # shadow the standard library's `http` package for everything imported later.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]


if __name__ == "http":
    # Imported by accident as the stdlib `http` (some script in this folder ran and a
    # library did `import http`): put the real package in our place.
    _without_this_folder()
    del sys.modules["http"]
    sys.modules["http"] = importlib.import_module("http")
elif __name__ == "__main__":
    _without_this_folder()
    sys.path.insert(0, str(_HERE.parent))
    importlib.import_module("benchmarks.http_bench").main()
