"""How requests are read (ingest.http.edge), attacked over raw sockets on the real server.

Each test checks the answer or the close, and that a well-behaved client posting a
valid envelope at the same time still gets its 200 within a bound.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from tests.integration.conftest import FrontDoor, start_front_door, stop_front_door, unique_settings

pytestmark = pytest.mark.integration

TIMEOUT_S = 1.0
# A valid post must be answered within this while the server is under attack.
ANSWER_BOUND_S = 3.0
EDGE: dict[str, Any] = {
    "max_header_bytes": 8192,
    "header_timeout_s": TIMEOUT_S,
    "body_timeout_s": TIMEOUT_S,
    "max_connections": 40,
    "max_requests_per_connection": 3,
    "keep_alive_timeout_s": 2,
}


@pytest.fixture
async def door(bootstrap_servers: str) -> AsyncIterator[FrontDoor]:
    front_door, task = await start_front_door(unique_settings(**EDGE), bootstrap_servers)
    try:
        yield front_door
    finally:
        await stop_front_door(front_door, task)


@pytest.fixture
def envelope(seed_envelope: dict[str, Any]) -> dict[str, Any]:
    return seed_envelope


def address(door: FrontDoor) -> tuple[str, int]:
    parts = urlsplit(door.url)
    assert parts.hostname is not None
    assert parts.port is not None
    return parts.hostname, parts.port


async def valid_post(door: FrontDoor, envelope: dict[str, Any]) -> float:
    """Post a fresh copy; return how long the 200 took."""
    event = dict(envelope["data"][0], id=f"urn:uuid:{uuid.uuid4()}")
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=door.url, timeout=10) as client:
        answer = await client.post("/caliper/event", json={**envelope, "data": [event]})
    assert answer.status_code == 200, answer.text
    return time.monotonic() - started


async def read_answer(
    reader: asyncio.StreamReader, within_s: float
) -> tuple[int, dict[str, str], bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), within_s)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines if line)
    content = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers, content


async def closed(reader: asyncio.StreamReader, within_s: float = 3.0) -> bool:
    """The server closes the connection within `within_s` (whatever it sent first)."""
    try:
        await asyncio.wait_for(reader.read(), within_s)
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


def post_head(content_length: int, extra: str = "") -> bytes:
    return (
        "POST /caliper/event HTTP/1.1\r\nHost: door\r\nContent-Type: application/json\r\n"
        f"Content-Length: {content_length}\r\n{extra}\r\n"
    ).encode()


@pytest.mark.parametrize("size", [64 * 1024, 1024 * 1024])
async def test_oversized_headers_are_431_and_closed(
    door: FrontDoor, envelope: dict[str, Any], size: int
) -> None:
    reader, writer = await asyncio.open_connection(*address(door))
    try:
        writer.write(post_head(2, f"X-Padding: {'a' * size}\r\n") + b"{}")
        status, headers, content = await read_answer(reader, 5)
        assert status == 431
        assert headers["connection"] == "close"
        assert orjson.loads(content)["errors"][0]["code"] == "headers_too_large"
        assert await closed(reader)
    finally:
        writer.close()
    assert await valid_post(door, envelope) < ANSWER_BOUND_S


async def test_headers_just_under_the_limit_are_served(door: FrontDoor) -> None:
    reader, writer = await asyncio.open_connection(*address(door))
    try:
        writer.write(
            f"GET /healthz HTTP/1.1\r\nHost: door\r\nX-Padding: {'a' * 7000}\r\n\r\n".encode()
        )
        status, _, _ = await read_answer(reader, 5)
        assert status == 200
    finally:
        writer.close()


async def test_slow_headers_are_408_and_closed_while_others_are_served(
    door: FrontDoor, envelope: dict[str, Any]
) -> None:
    async def dribble() -> tuple[int, bool]:
        reader, writer = await asyncio.open_connection(*address(door))
        try:
            head = post_head(2)
            for byte in range(len(head)):  # one byte every 0.2 s: never done in time
                writer.write(head[byte : byte + 1])
                try:
                    status, _, _ = await read_answer(reader, 0.2)
                except TimeoutError:
                    continue
                return status, await closed(reader)
            return 0, False
        finally:
            writer.close()

    attackers = [asyncio.create_task(dribble()) for _ in range(20)]
    await asyncio.sleep(0.3)
    assert await valid_post(door, envelope) < ANSWER_BOUND_S
    results = await asyncio.gather(*attackers)
    assert results == [(408, True)] * 20


@pytest.mark.parametrize(
    "stalled",
    [
        post_head(1000) + b'{"sensor": "x", ',  # Content-Length larger than what is sent
        b"POST /caliper/event HTTP/1.1\r\nHost: door\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n64\r\n" + b'{"sensor": "short chunk"',
    ],
    ids=["content-length", "short-chunk"],
)
async def test_a_body_that_never_finishes_is_408_and_closed(
    door: FrontDoor, envelope: dict[str, Any], stalled: bytes
) -> None:
    reader, writer = await asyncio.open_connection(*address(door))
    try:
        writer.write(stalled)
        started = time.monotonic()
        waiting = asyncio.create_task(read_answer(reader, TIMEOUT_S + 3))
        assert await valid_post(door, envelope) < ANSWER_BOUND_S
        status, _, content = await waiting
        assert status == 408
        assert orjson.loads(content)["errors"][0]["code"] == "request_timeout"
        assert TIMEOUT_S * 0.9 <= time.monotonic() - started < TIMEOUT_S + 2
        assert await closed(reader)
    finally:
        writer.close()


async def test_connections_over_the_cap_are_503_and_closed(
    door: FrontDoor, envelope: dict[str, Any]
) -> None:
    held = [await asyncio.open_connection(*address(door)) for _ in range(EDGE["max_connections"])]
    try:
        reader, writer = await asyncio.open_connection(*address(door))
        status, _, content = await read_answer(reader, 5)
        assert status == 503
        assert orjson.loads(content)["errors"][0]["code"] == "too_many_connections"
        assert await closed(reader)
        writer.close()
        # Idle connections get a 408 at the header timeout and are closed: slots free up.
        for held_reader, _ in held:
            status, _, _ = await read_answer(held_reader, TIMEOUT_S + 2)
            assert status == 408
            assert await closed(held_reader)
    finally:
        for _, held_writer in held:
            held_writer.close()
    assert await valid_post(door, envelope) < ANSWER_BOUND_S


async def test_a_connection_is_closed_after_its_request_limit(door: FrontDoor) -> None:
    reader, writer = await asyncio.open_connection(*address(door))
    try:
        answers = []
        for _ in range(EDGE["max_requests_per_connection"]):
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: door\r\n\r\n")
            answers.append(await read_answer(reader, 5))
        assert [status for status, _, _ in answers] == [200, 200, 200]
        assert [headers.get("connection") for _, headers, _ in answers][-1] == "close"
        assert await closed(reader)
    finally:
        writer.close()


async def test_idle_keep_alive_connections_are_closed(door: FrontDoor) -> None:
    reader, writer = await asyncio.open_connection(*address(door))
    try:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: door\r\n\r\n")
        status, headers, _ = await read_answer(reader, 5)
        assert status == 200
        assert headers.get("connection") != "close"
        assert await closed(reader, EDGE["keep_alive_timeout_s"] + 2)
    finally:
        writer.close()
