"""Acknowledgement latency and throughput of the front door's publisher, without HTTP.

    python benchmarks/publish.py [--seconds 3] [--producers 1,2,4] [--linger 0,2,5]

Concurrent callers publish 1-record and 100-record lists through `KafkaPublisher`
(group commit, acks=all) to the embedded broker, each waiting for its own
acknowledgements as a request of the front door does. Prints records/s and the
acknowledgement latency (p50, p99) per producer count and linger, so the defaults
of `CALIPER_KAFKA_PRODUCERS` and `CALIPER_KAFKA_LINGER_MS` rest on a measurement.
The broker runs on CPU 1 and this process on CPU 0 where the machine has two.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

import uvloop

from caliper_pipeline.dev.broker import EmbeddedBroker
from ingest.kafka.publisher import KafkaPublisher
from ingest.kafka.records import Record
from ingest.settings import Settings

VALUE = b'{"id":"urn:uuid:00000000-0000-0000-0000-000000000000",' + b'"x":"' + b"a" * 800 + b'"}'


def records(count: int, caller: int) -> list[Record]:
    return [
        Record(key=f"student-{caller}-{i}".encode(), value=VALUE, headers=[]) for i in range(count)
    ]


async def measure(
    bootstrap: str, producers: int, linger_ms: int, size: int, callers: int, seconds: float
) -> tuple[float, float, float]:
    settings = Settings(
        events_topic=f"bench.publish.{uuid.uuid4().hex[:8]}",
        kafka_producers=producers,
        kafka_linger_ms=linger_ms,
        auth_enabled=False,
    )
    latencies: list[float] = []
    async with KafkaPublisher(settings, {"bootstrap_servers": bootstrap}) as publisher:
        await publisher.publish_events(records(1, 0))  # metadata and connections warm
        deadline = time.perf_counter() + seconds

        async def caller(index: int) -> None:
            batch = records(size, index)
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                await publisher.publish_events(batch)
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(caller(i) for i in range(callers)))
        elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000

    return len(latencies) * size / elapsed, percentile(0.5), percentile(0.99)


async def main_async(args: argparse.Namespace) -> None:
    async with EmbeddedBroker() as broker:
        if broker.pid is not None and len(os.sched_getaffinity(0)) > 1:
            os.sched_setaffinity(broker.pid, {1})
            os.sched_setaffinity(0, {0})
        print(
            f"{'producers':>9} {'linger':>6} {'records':>7} {'callers':>7}"
            f" {'records/s':>10} {'p50 ms':>7} {'p99 ms':>7}"
        )
        for size, callers in ((1, args.callers), (100, max(4, args.callers // 8))):
            for producers in args.producers:
                for linger in args.linger:
                    rate, p50, p99 = await measure(
                        broker.bootstrap_servers, producers, linger, size, callers, args.seconds
                    )
                    print(
                        f"{producers:>9} {linger:>6} {size:>7} {callers:>7}"
                        f" {rate:>10.0f} {p50:>7.2f} {p99:>7.2f}"
                    )


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--callers", type=int, default=64, help="concurrent 1-record callers")
    parser.add_argument("--producers", type=_ints, default=[1, 2, 4])
    parser.add_argument("--linger", type=_ints, default=[0, 2, 5])
    uvloop.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
