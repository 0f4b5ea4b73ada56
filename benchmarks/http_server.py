"""Server process of benchmarks/http.py: ours or the baseline, pinned to one CPU."""

from __future__ import annotations

import asyncio
import logging
import os
import sys

import uvicorn
import uvloop

from benchmarks.baseline_app import create_baseline_app
from benchmarks.http_bench import SERVER_CPU
from caliper_pipeline.kafka import KafkaSettings
from ingest.http.app import create_app
from ingest.http.server import FrontDoorServer, bind
from ingest.settings import Settings


async def run(kind: str, port: int, bootstrap: str, topic: str) -> None:
    settings = Settings(
        port=port,
        events_topic=topic,
        rejected_topic=f"{topic}.rejected",
        # The load generator sends no token; auth cost is measured by benchmarks/auth.py.
        auth_enabled=False,
    )
    if kind == "ours":
        kafka = KafkaSettings(bootstrap_servers=bootstrap).client_options()
        app = create_app(settings=settings, kafka=kafka)
        door = FrontDoorServer(app, settings, bind(settings.host, port, fallback=False))
        await door.start()
        await door.run(asyncio.Event())  # until the benchmark kills this process
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
