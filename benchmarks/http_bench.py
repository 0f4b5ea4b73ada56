"""Driver of benchmarks/http.py: our front door vs a plain FastAPI baseline, over HTTP.

The server runs alone on one core (a subprocess, every thread pinned and read back);
this process (the load generator) and a fresh embedded broker per server share the
other. Every run is bounded in seconds and requests and targets 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final

import uvloop

from benchmarks.cpus import Layout, allowed, layout, pin
from benchmarks.http_args import parse_args
from benchmarks.http_kafka import create_topic, topic_size
from benchmarks.http_plot import plot
from benchmarks.http_processes import HOST, CpuMeter, Issuer, ServerProcess
from benchmarks.http_requests import prebuilt_requests
from benchmarks.http_results import BASELINE, HEADER, Point, summary_lines, write_json
from benchmarks.http_up import UpProcess
from benchmarks.loadgen import run_load
from caliper_pipeline.dev.broker import EmbeddedBroker, port_or_free

UP: Final = "ours/up"  # the front door inside `caliper-pipeline up` (uvicorn)
UP_TOPIC: Final = "caliper.events"


async def _settled(point: Point, settle: Callable[[], Awaitable[object]] | None) -> Point:
    """The point printed, with the consumers' catch-up time when there are consumers."""
    if settle is not None:
        started = time.monotonic()
        await settle()
        point = dataclasses.replace(point, catch_up_s=time.monotonic() - started)
    print(point.line(), flush=True)
    return point


class Bench:
    """The runs of one invocation; `points` grows as they finish (printed at once)."""

    def __init__(self, args: argparse.Namespace, cpus: Layout, issuer: Issuer) -> None:
        self.args = args
        self.cpus = cpus
        self.issuer = issuer
        self.points: list[Point] = []
        self.records: list[dict[str, Any]] = []
        self.ceiling: list[dict[str, Any]] = []

    def requests(self, port: int, size: int, *, token: bool) -> list[bytes]:
        return prebuilt_requests(port, size, token=self.issuer.token if token else None)

    async def curve(
        self,
        port: int,
        meter: CpuMeter,
        *,
        server: str,
        auth: bool,
        size: int,
        fractions: list[float],
        settle: Callable[[], Awaitable[object]] | None = None,
    ) -> int:
        """Correctness, warm-up, peak, then each open-loop fraction; events acknowledged.
        `settle` (inside `up`) waits for the consumers to catch up before each measured
        run, so that each rate is measured from the same start, not on the previous
        run's backlog; how long that took is the run's `catch_up_s`."""
        args = self.args
        connections = args.connections if size == 1 else max(8, args.connections // 4)
        requests = self.requests(port, size, token=auth)
        check = await run_load(
            HOST, port, requests[:1], connections=1, duration_s=5, max_requests=1
        )
        if check.ok != 1:
            raise RuntimeError(f"{server}: a valid envelope was answered {check.statuses}")
        if auth:
            anonymous = self.requests(port, size, token=False)[:1]
            refused = await run_load(
                HOST, port, anonymous, connections=1, duration_s=5, max_requests=1
            )
            if not set(refused.statuses) <= {401, 403}:
                raise RuntimeError(f"{server}: no token answered {refused.statuses}, not 401")
        bound = {"connections": connections, "max_requests": args.max_requests}
        warm = await run_load(HOST, port, requests, duration_s=1.0, **bound)
        acked = (check.ok + warm.ok) * size
        if settle is not None:
            await settle()
        meter.start()
        top = await run_load(HOST, port, requests, duration_s=args.seconds, **bound)
        peak = Point.of(
            top, server=server, auth=auth, events=size, connections=connections, cpu=meter.shares()
        )
        runs = [await _settled(peak, settle)]
        acked += top.ok * size
        for fraction in fractions:
            rate = fraction * runs[0].requests_per_s
            meter.start()
            result = await run_load(
                HOST, port, requests, duration_s=args.seconds, rate_per_s=rate, **bound
            )
            point = Point.of(
                result,
                server=server,
                auth=auth,
                events=size,
                connections=connections,
                fraction=fraction,
                offered_per_s=rate,
                cpu=meter.shares(),
            )
            runs.append(await _settled(point, settle))
            acked += result.ok * size
        self.points += runs
        return acked

    async def server(self, kind: str, http: str, *, auth: bool, fractions: list[float]) -> None:
        """One server on a fresh broker (the in-memory broker keeps every record)."""
        label = BASELINE if kind == "baseline" else f"ours/{http}"
        async with EmbeddedBroker(host=HOST, port=0) as broker:
            assert broker.pid is not None
            pin(broker.pid, self.cpus.others)
            if set(allowed(broker.pid)) != self.cpus.others:
                raise RuntimeError(f"broker threads may run on CPUs {allowed(broker.pid)}")
            topic = f"bench.{label.replace('/', '.')}.{uuid.uuid4().hex[:8]}"
            await create_topic(broker.bootstrap_servers, topic)
            process = ServerProcess(
                kind,
                http=http,
                port=port_or_free(HOST, 0),
                cpus=self.cpus.server,
                bootstrap=broker.bootstrap_servers,
                topic=topic,
                issuer_dir=self.issuer.directory if auth else None,
            )
            async with process:
                pids = {"server": process.pid, "loadgen": os.getpid(), "broker": broker.pid}
                meter = CpuMeter(pids, self.cpus.server | self.cpus.others)
                acked = 0
                for size in (1, 100):
                    acked += await self.curve(
                        process.port, meter, server=label, auth=auth, size=size, fractions=fractions
                    )
                broker_cpus = allowed(broker.pid)
            stored = await topic_size(broker.bootstrap_servers, topic)
        self._record(label, auth, topic, acked, stored, broker_cpus=broker_cpus)

    async def inside_up(self, *, auth: bool, fractions: list[float]) -> None:
        """Our front door inside `caliper-pipeline up`, its consumers reading every event."""
        issuer_dir = self.issuer.directory if auth else None
        with UpProcess(
            issuer_dir=issuer_dir, server=self.cpus.server, others=self.cpus.others
        ) as up:
            pids = {**up.meter_pids, "loadgen": os.getpid()}
            meter = CpuMeter(pids, self.cpus.server | self.cpus.others)
            acked = 0
            for size in (1, 100):
                acked += await self.curve(
                    up.port,
                    meter,
                    server=UP,
                    auth=auth,
                    size=size,
                    fractions=fractions,
                    settle=up.caught_up,
                )
            stored = await topic_size(up.bootstrap, UP_TOPIC)
        self._record(UP, auth, UP_TOPIC, acked, stored)

    def _record(
        self, label: str, auth: bool, topic: str, acked: int, stored: int, **extra: Any
    ) -> None:
        # Every 200 means every event was acknowledged: the topic holds at least those.
        entry = {"server": label, "auth": auth, "acknowledged_events": acked}
        self.records.append({**entry, "stored_records": stored, **extra})
        lost = "" if stored >= acked else "  FEWER THAN ACKNOWLEDGED"
        print(f"  {label}: {stored} records on {topic}, {acked} events acknowledged{lost}")

    async def loadgen_ceiling(self, http: str) -> None:
        """1-event requests (token included) against an app that does nothing."""
        process = ServerProcess(
            "trivial", http=http, port=port_or_free(HOST, 0), cpus=self.cpus.server
        )
        async with process:
            requests = self.requests(process.port, 1, token=True)
            bound = {"connections": self.args.connections, "max_requests": self.args.max_requests}
            await run_load(HOST, process.port, requests, duration_s=1.0, **bound)
            pids = {"server": process.pid, "loadgen": os.getpid()}
            meter = CpuMeter(pids, self.cpus.server | self.cpus.others)
            meter.start()
            result = await run_load(
                HOST, process.port, requests, duration_s=self.args.seconds, **bound
            )
            shares = meter.shares()
        rate = result.ok / result.elapsed_s
        # What one request costs the load generator, and so what it could send on a core
        # of its own (the broker takes part of that core in the real runs).
        cost_us = shares["loadgen"] / rate * 1e6 if rate else float("nan")
        self.ceiling.append(
            {
                "server": f"trivial/{http}",
                "requests_per_s": rate,
                "cpu": shares,
                "loadgen_us_per_request": cost_us,
                "loadgen_requests_per_s_per_core": 1e6 / cost_us if cost_us else None,
            }
        )
        cores = ", ".join(f"{k} busy {v:.0%}" for k, v in shares.items() if k.startswith("core"))
        print(
            f"load generator ceiling, trivial app on {http}: {rate:,.0f} req/s; CPU: server "
            f"{shares['server']:.0%}, load generator {shares['loadgen']:.0%} = {cost_us:.1f} us"
            f" per request, about {1e6 / cost_us:,.0f} req/s per core ({cores})",
            flush=True,
        )


async def main_async(args: argparse.Namespace) -> None:
    cpus = layout()
    pin(os.getpid(), cpus.others)
    where = "server alone on CPU {}, load generator and broker on CPU {}".format(
        ",".join(map(str, sorted(cpus.server))), ",".join(map(str, sorted(cpus.others)))
    )
    if not cpus.separate:
        where = "ONE CPU ONLY: server, load generator and broker share it"
    print(f"{where}; {args.seconds}s per run")
    servers = ["uvicorn", "granian"] if args.server == "both" else [args.server]
    modes = {"both": [True, False], "on": [True], "off": [False]}[args.auth]
    issuer = Issuer()
    bench = Bench(args, cpus, issuer)
    try:
        if args.ceiling:
            for http in servers:
                await bench.loadgen_ceiling(http)
        print(HEADER)
        for index, auth in enumerate(modes):
            # The headline pass draws the curves; the others measure peak and half peak.
            fractions = args.fractions if index == 0 else [0.5]
            for http in servers:
                await bench.server("ours", http, auth=auth, fractions=fractions)
            if args.up:
                await bench.inside_up(auth=auth, fractions=fractions)
            await bench.server("baseline", "uvicorn", auth=auth, fractions=fractions)
    finally:
        issuer.close()
    for line in summary_lines(bench.points, modes[0]):
        print(line)
    meta = {
        "benchmark": "benchmarks/http.py",
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpu_layout": {"server": sorted(cpus.server), "loadgen_and_broker": sorted(cpus.others)},
        "seconds": args.seconds,
        "connections": args.connections,
        "max_requests": args.max_requests,
        "headline_auth": modes[0],
        "loadgen_ceiling": bench.ceiling,
        "records": bench.records,
    }
    write_json(args.json, meta, bench.points)
    plot(bench.points, args.plot, auth=modes[0], title="Front door vs FastAPI baseline")
    print(f"wrote {args.json} and {args.plot}")


def main() -> None:
    uvloop.run(main_async(parse_args((__doc__ or "").splitlines()[0])))
