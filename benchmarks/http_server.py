"""Server process of benchmarks/http.py: ours or the baseline, pinned to one CPU."""

from __future__ import annotations

import logging
import os
import sys

import uvicorn
import uvloop

from benchmarks.baseline_app import create_baseline_app
from benchmarks.http_bench import SERVER_CPU
from ingest.app import create_app
from ingest.server import bind, make_server, serve
from ingest.settings import Settings


async def run(kind: str, port: int, bootstrap: str, topic: str) -> None:
    settings = Settings(
        port=port,
        kafka_bootstrap_servers=bootstrap,
        events_topic=topic,
        rejected_topic=f"{topic}.rejected",
        # The load generator sends no token; auth cost is measured by benchmarks/auth.py.
        auth_enabled=False,
    )
    if kind == "ours":
        server = make_server(create_app(settings=settings), settings)
        await serve(server, bind(settings.host, port, fallback=False))
        return
    # The baseline runs as a plain `uvicorn.run` user would: same loop and parser, none
    # of our tuning (GC thresholds, socket options).
    config = uvicorn.Config(
        create_baseline_app(bootstrap, topic),
        host=settings.host,
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )
    await uvicorn.Server(config).serve()


def main() -> None:
    os.sched_setaffinity(0, {SERVER_CPU})
    logging.basicConfig(level=logging.WARNING)
    kind, port, bootstrap, topic = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    uvloop.run(run(kind, port, bootstrap, topic))


if __name__ == "__main__":
    main()
