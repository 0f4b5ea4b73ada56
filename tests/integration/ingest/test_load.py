"""1,000 concurrent posts: all acknowledged, each event on the topic exactly once."""

from __future__ import annotations

import asyncio
import collections
import copy
import time
import uuid
from pathlib import Path

import httpx
import orjson
import pytest

from tests.integration.conftest import FrontDoor, read_topic

pytestmark = pytest.mark.integration

POSTS = 1000
CLIENTS = 10


async def test_thousand_concurrent_posts_each_land_exactly_once(
    front_door: FrontDoor, conformance_dir: Path
) -> None:
    template = orjson.loads(
        (conformance_dir / "timeback-clients" / "seed-example2.json").read_bytes()
    )
    bodies: list[bytes] = []
    ids: list[str] = []
    for i in range(POSTS):
        envelope = copy.deepcopy(template)
        event = envelope["data"][0]
        event["id"] = f"urn:uuid:{uuid.uuid4()}"
        event["actor"]["id"] = (
            f"https://api.alpha-1edtech.ai/ims/oneroster/rostering/v1p2/users/{i % 37}"
        )
        ids.append(event["id"])
        bodies.append(orjson.dumps(envelope))

    # All 1,000 requests are in flight at once. httpx's pool slows down badly with
    # hundreds of waiters, so they are spread over ten clients.
    clients = [httpx.AsyncClient(base_url=front_door.url, timeout=30) for _ in range(CLIENTS)]
    started = time.monotonic()
    try:
        answers = await asyncio.gather(
            *(
                clients[i % CLIENTS].post(
                    "/caliper/event", content=b, headers={"content-type": "application/json"}
                )
                for i, b in enumerate(bodies)
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    print(f"{POSTS} posts answered in {time.monotonic() - started:.1f} s")
    assert collections.Counter(a.status_code for a in answers) == {200: POSTS}

    settings = front_door.settings
    records = await read_topic(
        front_door.bootstrap, settings.events_topic, expect=POSTS, timeout_s=30
    )
    seen = collections.Counter(orjson.loads(r.value)["event"]["id"] for r in records)
    assert set(seen) == set(ids)
    assert max(seen.values()) == 1
    # One student's events stay on one partition.
    partitions: dict[bytes | None, set[int]] = collections.defaultdict(set)
    for record in records:
        partitions[record.key].add(record.partition)
    assert all(len(p) == 1 for p in partitions.values())
