"""Driver of benchmarks/http.py: our front door vs a plain FastAPI baseline, over HTTP.

Servers run in a subprocess pinned to CPU 0; this process (load generator) and the
embedded broker share CPU 1. Every run is bounded in requests and seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any, Final

import orjson
import uvloop
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from benchmarks.loadgen import LoadResult, build_request, run_load
from caliper_pipeline.dev.broker import EmbeddedBroker, port_or_free
from ingest.http.openapi import contract

SERVER_CPU: Final = 0
CLIENT_CPU: Final = 1
PARTITIONS: Final = 12
HOST: Final = "127.0.0.1"
USERS: Final = 1000


def envelopes(events_per_envelope: int, variants: int) -> list[bytes]:
    """Distinct envelopes of documentation events, one id per event, 1,000 students."""
    examples = [e["value"] for e in contract()["examples"].values()]
    bodies = []
    for v in range(variants):
        data = []
        for i in range(events_per_envelope):
            event: dict[str, Any] = orjson.loads(orjson.dumps(examples[(v + i) % 8]["data"][0]))
            event["id"] = f"urn:uuid:{uuid.uuid4()}"
            user = (v * events_per_envelope + i) % USERS
            event["actor"]["id"] = (
                f"https://api.alpha-1edtech.ai/ims/oneroster/rostering/v1p2/users/{user:08d}"
            )
            data.append(event)
        envelope = dict(examples[0], data=data, sendTime="2026-02-10T15:04:05.000Z")
        bodies.append(orjson.dumps(envelope))
    return bodies


@dataclass
class Row:
    server: str
    events: int
    load: str
    result: LoadResult

    def line(self) -> str:
        r = self.result
        rps = r.ok / r.elapsed_s
        bad = sum(n for s, n in r.statuses.items() if s != 200)
        return (
            f"{self.server:9} {self.events:>4} {self.load:10} {rps:>9.0f}"
            f" {rps * self.events:>10.0f} {r.percentile_ms(0.5):>8.2f}"
            f" {r.percentile_ms(0.99):>8.2f} {bad:>6}"
        )


async def create_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    finally:
        await admin.close()


async def topic_size(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        ends = await consumer.end_offsets(parts)
        return int(sum(ends.values()))
    finally:
        await consumer.stop()


async def wait_healthy(port: int, path: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        writer.close()
        if head.startswith(b"HTTP/1.1 200") or head.startswith(b"HTTP/1.1 404"):
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"server on {port} not healthy")


def start_server(kind: str, port: int, bootstrap: str, topic: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "benchmarks.http_server", kind, str(port), bootstrap, topic]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL)


async def bench_server(kind: str, args: argparse.Namespace, bootstrap: str) -> list[Row]:
    topic = f"bench.{kind}.{uuid.uuid4().hex[:8]}"
    await create_topic(bootstrap, topic)
    port = port_or_free(HOST, 0)
    process = start_server(kind, port, bootstrap, topic)
    rows: list[Row] = []
    acked = 0
    try:
        await wait_healthy(port, "/healthz")
        for size, connections in ((1, args.connections), (100, max(8, args.connections // 4))):
            bodies = envelopes(size, 200 if size == 1 else 40)
            requests = [build_request(HOST, port, "/caliper/event", b) for b in bodies]
            # Correctness before timing: one envelope answered 200.
            check = await run_load(
                HOST, port, requests[:1], connections=1, duration_s=5, max_requests=1
            )
            if check.ok != 1:
                raise RuntimeError(f"{kind}: correctness check failed: {check.statuses}")
            acked += size
            await run_load(
                HOST,
                port,
                requests,
                connections=connections,
                duration_s=1.0,
                max_requests=args.max_requests,
            )  # warm-up
            peak = await run_load(
                HOST,
                port,
                requests,
                connections=connections,
                duration_s=args.seconds,
                max_requests=args.max_requests,
            )
            rows.append(Row(kind, size, "peak", peak))
            rate = 0.5 * peak.ok / peak.elapsed_s
            half = await run_load(
                HOST,
                port,
                requests,
                connections=connections,
                duration_s=args.seconds,
                max_requests=args.max_requests,
                rate_per_s=rate,
            )
            rows.append(Row(kind, size, "half-peak", half))
            for row in rows[-2:]:
                print(row.line(), flush=True)
    finally:
        process.terminate()
        process.wait(30)
    stored = await topic_size(bootstrap, topic)
    print(f"  {kind}: {stored} records on {topic}", flush=True)
    return rows


async def main_async(args: argparse.Namespace) -> None:
    async with EmbeddedBroker(host=HOST, port=0) as broker:
        if broker.pid is not None:
            os.sched_setaffinity(broker.pid, {CLIENT_CPU})
        print(
            f"broker {broker.bootstrap_servers}; server on CPU {SERVER_CPU}, "
            f"load generator and broker on CPU {CLIENT_CPU}; {args.seconds}s per run"
        )
        print(
            f"{'server':9} {'ev/r':>4} {'load':10} {'req/s':>9} {'events/s':>10} "
            f"{'p50 ms':>8} {'p99 ms':>8} {'non200':>6}"
        )
        ours = await bench_server("ours", args, broker.bootstrap_servers)
        base = await bench_server("baseline", args, broker.bootstrap_servers)
    print("ratios (ours / baseline, peak events/s):")
    for mine, theirs in zip(ours[::2], base[::2], strict=True):
        a = mine.result.ok / mine.result.elapsed_s
        b = theirs.result.ok / theirs.result.elapsed_s
        print(f"  {mine.events:>3}-event envelopes: {a / b:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each run")
    parser.add_argument("--connections", type=int, default=64, help="for 1-event runs")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per run")
    args = parser.parse_args()
    os.sched_setaffinity(0, {CLIENT_CPU})
    uvloop.run(main_async(args))
