"""Event streams for the aggregator tests, and the expected totals computed independently.

`expected_daily` deliberately shares no code with `consumers.aggregator`: it is the
test's own reading of the issue (key = student, UTC date, subject, app, course id).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from consumers.aggregator.store import Store
from ingest.kafka.records import context_of, event_records

SUBJECTS: Final = ("Math", "Reading", "Science")
APPS: Final = ("Math Raiders", "Nice Academy")
TIME_FIELDS: Final = {
    "active": "activeSeconds",
    "inactive": "inactiveSeconds",
    "waste": "wasteSeconds",
    "unknown": "unknownSeconds",
    "anti-pattern": "antiPatternSeconds",
}


def event_id(n: int) -> str:
    return f"urn:uuid:{uuid.UUID(int=n + 1, version=4)}"


def timeback_event(n: int, rng: random.Random, *, students: int = 40) -> dict[str, Any]:
    """A valid, varied Timeback event: activity (XP, negative and decimal too) or time."""
    student = rng.randrange(students)
    day = rng.randrange(1, 4)
    obj: dict[str, Any] = {
        "id": f"https://app.example/ctx/{n % 7}",
        "type": "TimebackActivityContext",
        "subject": rng.choice(SUBJECTS),
        "app": {"name": rng.choice(APPS)},
        "course": {"id": f"https://app.example/courses/c{student % 3}", "name": "Course"},
        "activity": {"name": "Lesson"},
    }
    event: dict[str, Any] = {
        "@context": "http://purl.imsglobal.org/ctx/caliper/v1p2",
        "id": event_id(n),
        "profile": "TimebackProfile",
        "actor": {
            "id": f"https://api.example/ims/oneroster/rostering/v1p2/users/s{student}",
            "type": "TimebackUser",
            "email": f"s{student}@school.example",
        },
        "object": obj,
        "eventTime": f"2026-03-0{day}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z",
    }
    if rng.random() < 0.6:
        items = [{"type": "xpEarned", "value": rng.choice([1, 2.5, 10, -3, 0.1])}]
        if rng.random() < 0.5:
            total = rng.randrange(1, 10)
            items.append({"type": "totalQuestions", "value": total})
            items.append({"type": "correctQuestions", "value": rng.randrange(total + 1)})
        event |= {"type": "ActivityEvent", "action": "Completed"}
        event["generated"] = {"id": f"urn:m:{n}", "type": "TimebackActivityMetricsCollection"}
    else:
        items = [{"type": "active", "value": rng.randrange(1, 600)}]
        if rng.random() < 0.5:
            items.append({"type": "waste", "value": 30, "subType": rng.choice(["eating", "break"])})
        if rng.random() < 0.2:
            items.append({"type": "inactive", "value": 12})
        event |= {"type": "TimeSpentEvent", "action": "SpentTime"}
        event["generated"] = {"id": f"urn:m:{n}", "type": "TimebackTimeSpentMetricsCollection"}
    event["generated"]["items"] = items
    return event


def generic_event(n: int) -> dict[str, Any]:
    return {
        "@context": "http://purl.imsglobal.org/ctx/caliper/v1p2",
        "id": f"urn:uuid:{uuid.UUID(int=10**9 + n, version=4)}",
        "type": "NavigationEvent",
        "actor": {"id": "https://example.edu/users/554433", "type": "Person"},
        "action": "NavigatedTo",
        "object": {"id": "https://example.edu/page/1", "type": "WebPage"},
        "eventTime": "2026-03-01T10:00:00Z",
    }


def conflicting(event: Mapping[str, Any]) -> dict[str, Any]:
    """Same id and actor (so same partition, produced later: the first wins), new numbers."""
    changed = orjson.loads(orjson.dumps(event))
    changed["generated"]["items"][0]["value"] += 1000
    return dict(changed)


def expected_daily(counted: Iterable[Mapping[str, Any]]) -> dict[tuple[str, ...], dict[str, Any]]:
    """Totals per (student, UTC date, subject, app, course id) of the counted events."""
    totals: dict[tuple[str, ...], dict[str, Any]] = {}
    for event in counted:
        obj = event["object"]
        key = (
            event["actor"]["id"],
            event["eventTime"][:10],  # every test time is UTC ("Z")
            obj["subject"],
            obj.get("app", {}).get("name", ""),
            obj.get("course", {}).get("id", ""),
        )
        row = totals.setdefault(key, {"events": 0, "wasteBySubType": {}})
        row["events"] += 1
        for item in event["generated"]["items"]:
            name = TIME_FIELDS.get(item["type"], item["type"])
            value = Decimal(str(item["value"]))
            row[name] = row.get(name, Decimal(0)) + value
            if item["type"] == "waste" and "subType" in item:
                waste = row["wasteBySubType"]
                waste[item["subType"]] = waste.get(item["subType"], Decimal(0)) + value
    return totals


def assert_daily_equal(
    published: Mapping[tuple[str, ...], Mapping[str, Any]],
    expected: Mapping[tuple[str, ...], Mapping[str, Any]],
) -> None:
    assert set(published) == set(expected), "daily keys differ"
    for key, want in expected.items():
        got = published[key]
        assert got["events"] == want["events"], key
        for name, value in want.items():
            if name == "events":
                continue
            if name == "wasteBySubType":
                assert {k: Decimal(str(v)) for k, v in got[name].items()} == value, key
            else:
                assert Decimal(str(got[name])) == value, (key, name)


def ends_of(acks: Iterable[Any], ends: Mapping[int, int] | None = None) -> dict[int, int]:
    merged = dict(ends or {})
    for ack in acks:
        merged[ack.partition] = max(merged.get(ack.partition, 0), ack.offset + 1)
    return merged


async def produce(
    bootstrap: str,
    topic: str,
    events: Sequence[Mapping[str, Any]],
    *,
    received_time: str = "2026-03-05T00:00:00Z",
) -> dict[int, int]:
    """Records exactly as the front door writes them, one envelope per call; returns the
    next offset per partition after them (from the acks: the embedded broker's
    ListOffsets under-reports the end of a partition)."""
    context = context_of(
        {"sensor": "https://app.example", "sendTime": received_time}, received_time, "app-1"
    )
    records = event_records(list(events), context)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(topic, r.value, r.key, headers=r.headers) for r in records]
        return ends_of(await asyncio.gather(*futures))
    finally:
        await producer.stop()


async def produce_raw(
    bootstrap: str, topic: str, records: Sequence[tuple[bytes, list[Any]]]
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for value, headers in records:
            await producer.send_and_wait(topic, value, b"k", headers=headers)
    finally:
        await producer.stop()


async def read_all(bootstrap: str, topic: str, *, idle_s: float = 0.5) -> list[tuple[bytes, bytes]]:
    """Every (key, value) of `topic`: reads until nothing new came for `idle_s`
    (end offsets cannot be trusted on the embedded broker)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or set()]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[tuple[bytes, bytes]] = []
        loop = asyncio.get_running_loop()
        quiet_until = loop.time() + idle_s
        while loop.time() < quiet_until:
            for part in (await consumer.getmany(timeout_ms=100)).values():
                records.extend((r.key, r.value) for r in part)
                quiet_until = loop.time() + idle_s
        return records
    finally:
        await consumer.stop()


async def read_daily(bootstrap: str, topic: str) -> dict[tuple[str, ...], dict[str, Any]]:
    """The compacted view: the last value per key."""
    latest: dict[tuple[str, ...], dict[str, Any]] = {}
    for key, value in await read_all(bootstrap, topic):
        latest[tuple(orjson.loads(key))] = orjson.loads(value)
    return latest


async def wait_caught_up(store: Store, topic: str, total: int, *, timeout_s: float = 60.0) -> None:
    """Until the store's offsets cover `total` records (every partition starts at 0)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        stored = await store.load_offsets(topic)
        if sum(offset for offset, _ in stored.values()) >= total:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not caught up with {total} records: stored {stored}")
        await asyncio.sleep(0.1)
