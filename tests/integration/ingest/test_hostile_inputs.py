"""Hostile bodies against the running front door: each a clear 4xx in bounded time,
bounded memory, and a well-behaved client's posts keep succeeding meanwhile."""

from __future__ import annotations

import asyncio
import copy
import json
import time
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.integration.conftest import FrontDoor, read_topic, start_front_door, stop_front_door
from tests.integration.ingest.test_auth_http import KEY, auth_settings
from tests.jwks_server import JwksServer
from tests.tokens import Claims, jwks, sign

pytestmark = pytest.mark.integration

# Generous for a 2-core machine running broker, server and clients at once.
ANSWER_WITHIN_S = 3.0
MEMORY_GROWTH_LIMIT = 64 * 2**20
HUNDRED_MB = 100 * 2**20


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def gzip_bomb(expanded: int) -> bytes:
    """`expanded` zero bytes gzipped (about 1000:1), built without holding them all."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b"0" * 2**20
    parts = [compressor.compress(chunk) for _ in range(expanded // len(chunk))]
    return b"".join([*parts, compressor.flush()])


@pytest.fixture
async def door(bootstrap_servers: str) -> AsyncIterator[tuple[FrontDoor, JwksServer]]:
    with JwksServer(jwks(KEY)) as server:
        started, task = await start_front_door(auth_settings(server.url), bootstrap_servers)
        try:
            yield started, server
        finally:
            await stop_front_door(started, task)


@pytest.fixture
def template(conformance_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(
        (conformance_dir / "timeback-clients" / "seed-example1.json").read_bytes()
    )
    return data


def with_event(template: dict[str, Any], **fields: Any) -> dict[str, Any]:
    envelope = copy.deepcopy(template)
    envelope["data"][0].update(fields)
    envelope["data"][0]["id"] = f"urn:uuid:{uuid.uuid4()}"
    return envelope


async def raw_post(port: int, head: str, chunks: Iterator[bytes]) -> tuple[int, int]:
    """Send a request over a raw socket while reading the answer; the status and how
    many body bytes went out before the server answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = 0

    async def send() -> None:
        nonlocal sent
        writer.write(head.encode())
        for chunk in chunks:
            writer.write(chunk)
            sent += len(chunk)
            await writer.drain()

    sender = asyncio.create_task(send())
    try:
        status_line = await asyncio.wait_for(reader.readline(), ANSWER_WITHIN_S)
        return int(status_line.split()[1]), sent
    finally:
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
        writer.close()
        await asyncio.gather(writer.wait_closed(), return_exceptions=True)


def hundred_mb(chunked: bool) -> Iterator[bytes]:
    piece = b" " * 65536
    for _ in range(HUNDRED_MB // len(piece)):
        yield b"10000\r\n" + piece + b"\r\n" if chunked else piece


async def test_hostile_bodies_get_clear_4xx_while_others_succeed(
    door: tuple[FrontDoor, JwksServer], template: dict[str, Any]
) -> None:
    front, jwks_server = door
    port = int(front.url.rsplit(":", 1)[1])
    bad = sign(KEY, Claims(client_id="attacker"))
    good = sign(KEY, Claims(client_id="good-app"))
    json_headers = {"content-type": "application/json", "authorization": f"Bearer {bad}"}
    deep_extension: Any = {}
    for _ in range(300):
        deep_extension = {"a": deep_extension}
    ref_url = f"{jwks_server.base_url}/schema-from-payload"
    valid_last = orjson.dumps(with_event(template)).replace(
        b'"action":"Completed"', b'"action":"Hacked","action":"Completed"'
    )
    cases: dict[str, tuple[bytes, dict[str, str], int, str]] = {
        "gzip bomb (200 MB of zeros)": (
            gzip_bomb(200 * 2**20),
            {**json_headers, "content-encoding": "gzip"},
            413,
            "decompressed_body_too_large",
        ),
        "10,000-deep nesting": (b"[" * 10_000 + b"]" * 10_000, json_headers, 400, "malformed_json"),
        "300-deep nesting in extensions": (
            # orjson itself refuses to write this (depth > 254): the stdlib can.
            json.dumps(with_event(template, extensions=deep_extension)).encode(),
            json_headers,
            400,
            "nesting_too_deep",
        ),
        "1 MB string": (
            orjson.dumps({**template, "sensor": "x" * 1_000_000}),
            json_headers,
            400,
            "string_too_long",
        ),
        "10^400 number": (
            orjson.dumps(with_event(template)).replace(b'"value":100', b'"value":1' + b"0" * 400),
            json_headers,
            400,
            "malformed_json",
        ),
        "2^60 integer": (
            orjson.dumps(with_event(template)).replace(b'"value":100', b'"value":%d' % 2**60),
            json_headers,
            400,
            "number_out_of_range",
        ),
        "invalid UTF-8": (
            orjson.dumps(template).replace(b"alpharead", b"alpha\xff\xfeead"),
            json_headers,
            400,
            "malformed_json",
        ),
        "duplicate key, invalid value last": (
            valid_last.replace(
                b'"action":"Hacked","action":"Completed"', b'"action":"Completed","action":"Hacked"'
            ),
            json_headers,
            400,
            "action_type_mismatch",
        ),
        "$ref as an event property": (
            orjson.dumps(with_event(template, **{"$ref": ref_url})),
            json_headers,
            400,
            "unexpected_field",
        ),
    }

    stop = asyncio.Event()
    good_results: list[tuple[int, float]] = []

    async def well_behaved() -> None:
        headers = {"content-type": "application/json", "authorization": f"Bearer {good}"}
        async with httpx.AsyncClient(base_url=front.url, timeout=10) as client:
            while not stop.is_set():
                started = time.monotonic()
                answer = await client.post(
                    "/caliper/event", content=orjson.dumps(with_event(template)), headers=headers
                )
                good_results.append((answer.status_code, time.monotonic() - started))

    rss_before = rss_bytes()
    background = asyncio.create_task(well_behaved())
    answers: dict[str, tuple[int, str, float]] = {}
    try:
        async with httpx.AsyncClient(base_url=front.url, timeout=10) as client:
            for name, (content, headers, _, _) in cases.items():
                started = time.monotonic()
                answer = await client.post("/caliper/event", content=content, headers=headers)
                code = answer.json()["errors"][0]["code"]
                answers[name] = (answer.status_code, code, time.monotonic() - started)
        head = "POST /caliper/event HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        head += f"Authorization: Bearer {bad}\r\n"
        for name, framing, chunked in (
            ("100 MB body, declared length", f"Content-Length: {HUNDRED_MB}\r\n\r\n", False),
            ("100 MB body, chunked", "Transfer-Encoding: chunked\r\n\r\n", True),
        ):
            started = time.monotonic()
            status, sent = await raw_post(port, head + framing, hundred_mb(chunked))
            answers[name] = (status, "body_too_large", time.monotonic() - started)
            assert sent < HUNDRED_MB // 4, (name, sent)
        async with httpx.AsyncClient(base_url=front.url, timeout=10) as client:
            accepted = await client.post("/caliper/event", content=valid_last, headers=json_headers)
            extension_ref = await client.post(
                "/caliper/event",
                content=orjson.dumps(with_event(template, extensions={"$ref": ref_url})),
                headers=json_headers,
            )
        await asyncio.sleep(0.3)
    finally:
        stop.set()
        await background
    growth = rss_bytes() - rss_before

    expected = {name: (status, code) for name, (_, _, status, code) in cases.items()}
    expected["100 MB body, declared length"] = (413, "body_too_large")
    expected["100 MB body, chunked"] = (413, "body_too_large")
    for name, (status, code, elapsed) in answers.items():
        print(f"{name}: {status} {code} in {elapsed * 1000:.0f} ms")
        assert (status, code) == expected[name], name
        assert elapsed < ANSWER_WITHIN_S, name
    print(f"RSS growth {growth / 2**20:.1f} MiB; {len(good_results)} good posts meanwhile")
    assert growth < MEMORY_GROWTH_LIMIT
    # Duplicate keys: the last one wins (as in orjson, JSON.parse and Python); what is
    # published is the parsed, validated event re-serialized, never the raw bytes.
    assert accepted.status_code == 200, accepted.text
    # `$ref` inside extensions is plain data: accepted, published as is, never fetched.
    assert extension_ref.status_code == 200, extension_ref.text
    assert jwks_server.other_hits == []
    assert len(good_results) >= 5
    assert {status for status, _ in good_results} == {200}
    assert max(elapsed for _, elapsed in good_results) < ANSWER_WITHIN_S
    settings = front.settings
    records = await read_topic(front.bootstrap, settings.events_topic, expect=len(good_results) + 2)
    actions = {orjson.loads(r.value)["event"]["action"] for r in records}
    assert actions == {"Completed"}
