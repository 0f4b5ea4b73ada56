"""What a fetch costs the embedded broker as its log grows, and what it does to produce.

    python benchmarks/broker_fetch.py [--steps 1000,10000,20000,30000] [--seconds 4]
        [--idle-ms 200]

The embedded broker (Tansu, in-memory storage) keeps each produced batch as one object
and, by these figures, walks every object of a partition to answer a fetch. So `up`
slows down as its events topic fills with the front door's many small batches, and
its consumers' fetches hold up the front door's produce requests. For each number of
batches stored this prints the broker's CPU per fetch, then the produce acknowledgement
latency (one producer, a fixed rate) and the broker's CPU share, with no consumer and
with two (each in its own group, as `up`'s aggregator and results writer), polling again
at once, and with two that idle `--idle-ms` after each poll (consumers/polling.py). Why
`up` gives the front door a group commit window (`CALIPER_UP_LINGER_MS`: fewer, larger
batches) and its consumers an idle between polls (`CALIPER_UP_IDLE_BETWEEN_POLLS_MS`:
fewer fetches). The broker (every thread) and this process run on two different cores
where the machine has two (benchmarks/cpus.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Final

import uvloop
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from benchmarks.cpus import cpu_seconds, layout, pin
from caliper_pipeline.dev.broker import EmbeddedBroker

TOPIC: Final = "bench.fetch"
TP: Final = TopicPartition(TOPIC, 0)
VALUE: Final = b"x" * 600
RATE: Final = 800  # produce requests per second while latency is measured


async def fill(bootstrap: str, batches: int) -> None:
    """`batches` one-record batches: each acknowledged before the next is sent."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await producer.start()
    try:
        for _ in range(batches):
            await producer.send_and_wait(TOPIC, VALUE, partition=0)
    finally:
        await producer.stop()


async def fetch_cpu_ms(bootstrap: str, broker_pid: int, fetches: int = 20) -> float:
    """Broker CPU per fetch of the last record."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TP])
        end = (await consumer.end_offsets([TP]))[TP]
        before = cpu_seconds(broker_pid)
        for _ in range(fetches):
            consumer.seek(TP, max(0, end - 1))
            await consumer.getmany(timeout_ms=2000)
        return (cpu_seconds(broker_pid) - before) / fetches * 1000
    finally:
        await consumer.stop()


async def consume(
    bootstrap: str, group: str, idle_s: float, ready: asyncio.Event, stop: asyncio.Event
) -> None:
    consumer = AIOKafkaConsumer(
        TOPIC, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="latest"
    )
    await consumer.start()
    try:
        while not consumer.assignment():  # the embedded broker holds each join a while
            await consumer.getmany(timeout_ms=100)
        ready.set()
        while not stop.is_set():
            await consumer.getmany(timeout_ms=500, max_records=500)
            if idle_s:  # the records of one produce each: never a full batch
                await asyncio.sleep(idle_s)
    finally:
        await consumer.stop()


async def produce_latency(bootstrap: str, seconds: float) -> tuple[int, float, float, float]:
    """(sends, sends/s, p50 ms, p99 ms) of acknowledged sends, one at a time, at up to
    RATE/s: each send is one more batch stored."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, acks="all")
    await producer.start()
    latencies: list[float] = []
    try:
        started = time.perf_counter()
        while (now := time.perf_counter()) - started < seconds:
            await producer.send_and_wait(TOPIC, VALUE, partition=0)
            latencies.append(time.perf_counter() - now)
            delay = started + len(latencies) / RATE - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        elapsed = time.perf_counter() - started
    finally:
        await producer.stop()
    latencies.sort()

    def at(fraction: float) -> float:
        return latencies[min(len(latencies) - 1, int(fraction * len(latencies)))] * 1000

    return len(latencies), len(latencies) / elapsed, at(0.5), at(0.99)


async def with_consumers(
    broker: EmbeddedBroker, consumers: int, idle_s: float, seconds: float, step: int
) -> tuple[str, int]:
    """One latency measurement beside `consumers` consumers (idling `idle_s` after each
    poll), and the broker's CPU share over it; with the number of batches it added."""
    assert broker.pid is not None
    bootstrap = broker.bootstrap_servers
    stop = asyncio.Event()
    tasks = []
    joined = [asyncio.Event() for _ in range(consumers)]
    for n, ready in enumerate(joined):
        group = f"bench-{step}-{idle_s}-{n}"
        tasks.append(asyncio.create_task(consume(bootstrap, group, idle_s, ready, stop)))
    await asyncio.gather(*(ready.wait() for ready in joined))
    try:
        before, started = cpu_seconds(broker.pid), time.perf_counter()
        sent, rate, p50, p99 = await produce_latency(bootstrap, seconds)
        busy = (cpu_seconds(broker.pid) - before) / (time.perf_counter() - started)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    return f"{rate:4.0f}/s p50 {p50:4.1f} p99 {p99:5.1f} cpu {busy:4.0%}", sent


async def main_async(args: argparse.Namespace) -> None:
    cpus = layout()
    async with EmbeddedBroker() as broker:
        assert broker.pid is not None
        # After the start: the broker would inherit this process's core.
        pin(os.getpid(), cpus.server)
        pin(broker.pid, cpus.others)
        admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
        await admin.start()
        await admin.create_topics([NewTopic(TOPIC, 1, 1)])
        await admin.close()
        print(f"{'batches':>8} {'fetch CPU':>10} | produce acks at up to {RATE}/s:")
        idling = f"2 consumers idling {args.idle_ms} ms"
        print(f"{'':>8} {'':>10} | {'no consumer':<37}{'2 consumers':<37}{idling}")
        stored = 0
        for step in args.steps:
            if step > stored:
                await fill(broker.bootstrap_servers, step - stored)
                stored = step
            cost = await fetch_cpu_ms(broker.bootstrap_servers, broker.pid)
            row = f"{stored:>8} {cost:>7.1f} ms |"
            for consumers, idle_s in ((0, 0.0), (2, 0.0), (2, args.idle_ms / 1000)):
                text, sent = await with_consumers(broker, consumers, idle_s, args.seconds, step)
                row += f" {text:<36}"
                stored += sent  # each acknowledged send is one more batch
            print(row, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--steps",
        type=lambda text: sorted({int(part) for part in text.split(",")}),
        default=[1000, 10_000, 20_000, 30_000],
        help="one-record batches stored before each row",
    )
    parser.add_argument("--seconds", type=float, default=4.0, help="per latency measurement")
    parser.add_argument(
        "--idle-ms", type=int, default=200, help="the idling consumers' wait after each poll"
    )
    uvloop.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
