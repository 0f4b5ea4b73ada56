"""HTTP throughput and latency: our front door vs a plain FastAPI + send_and_wait baseline.

    python benchmarks/http.py [--seconds 5] [--connections 64] [--server uvicorn|granian|both]
        [--auth both|on|off] [--fractions 0.1,0.25,0.5,0.75,0.9] [--no-ceiling]
        [--json benchmarks/results/http.json] [--plot benchmarks/results/http.png]

With authentication on (a token of the local issuer; ours checks it with the verified-
token cache, the baseline with PyJWT on every request), then off: for 1-event and
100-event envelopes, requests/s, events/s, p50 and p99 at the closed-loop peak and at
open-loop rates that are fractions of it (the auth-off pass: half peak only), the CPU
each process and core used, the ratios against the baseline and the issue's targets.
Our front door runs on uvicorn (ingest.http.server) and on granian, the baseline on
plain uvicorn. First, the load generator's own ceiling against a trivial app. Writes
the figures as JSON and a latency-vs-throughput PNG. The work is in
benchmarks/http_bench.py; the load generator is benchmarks/loadgen.py.
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
