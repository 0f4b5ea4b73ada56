"""Bearer tokens against the running front door, a real broker and a real JWKS server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from ingest.settings import Settings
from tests.integration.conftest import (
    FrontDoor,
    read_topic,
    start_front_door,
    stop_front_door,
    unique_settings,
)
from tests.jwks_server import JwksServer
from tests.tokens import AUDIENCE, ISSUER, Claims, SigningKey, jwks, sign

pytestmark = pytest.mark.integration

KEY = SigningKey.rsa("k1")


def auth_settings(jwks_url: str, **overrides: Any) -> Settings:
    return unique_settings(
        auth_enabled=True,
        auth_issuer=ISSUER,
        auth_jwks_url=jwks_url,
        auth_audience=AUDIENCE,
        auth_jwks_min_refresh_s=0.2,
        auth_known_clients="app-1",
        **overrides,
    )


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    with JwksServer(jwks(KEY)) as server:
        yield server


@pytest.fixture
async def door(bootstrap_servers: str, jwks_server: JwksServer) -> AsyncIterator[FrontDoor]:
    started, task = await start_front_door(auth_settings(jwks_server.url), bootstrap_servers)
    try:
        yield started
    finally:
        await stop_front_door(started, task)


@pytest.fixture
def envelope(conformance_dir: Path) -> bytes:
    return (conformance_dir / "timeback-clients" / "seed-example1.json").read_bytes()


async def post(door: FrontDoor, body: bytes, token: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(base_url=door.url) as client:
        return await client.post("/caliper/event", content=body, headers=headers)


async def test_valid_token_publishes_with_the_client_id(door: FrontDoor, envelope: bytes) -> None:
    assert (await post(door, envelope, sign(KEY))).status_code == 200
    settings = door.settings
    records = await read_topic(door.bootstrap, settings.events_topic, expect=1)
    assert [dict(r.headers)["client-id"] for r in records] == [b"app-1"]
    assert (await post(door, envelope, sign(KEY, Claims(client_id="app-9")))).status_code == 200
    async with httpx.AsyncClient(base_url=door.url) as client:
        metrics = (await client.get("/metrics")).text
    assert 'caliper_ingest_events_total{client="app-1"} 1.0' in metrics
    # app-9 is not a known client: its label is "other", whatever id a token carries.
    assert 'caliper_ingest_events_total{client="other"} 1.0' in metrics
    assert 'client="other",endpoint="event",status="200"' in metrics


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [
        (None, 401, "missing_token"),
        (sign(KEY, Claims(lifetime_s=-120)), 401, "token_expired"),
        (sign(KEY, Claims(not_before_s=86_400)), 401, "invalid_token"),
        (sign(KEY, Claims(issuer="https://evil.test")), 401, "invalid_token"),
        (sign(KEY, Claims(audience="https://other.test")), 401, "invalid_token"),
        (sign(SigningKey.rsa("k1")), 401, "invalid_token"),
        (sign(KEY, Claims(scope="openid")), 403, "insufficient_scope"),
    ],
    ids=["missing", "expired", "not-yet-valid", "issuer", "audience", "wrong-key", "scope"],
)
async def test_refused_tokens_publish_nothing(
    door: FrontDoor, envelope: bytes, token: str | None, status: int, code: str
) -> None:
    answer = await post(door, envelope, token)
    assert answer.status_code == status
    assert answer.headers["www-authenticate"].startswith('Bearer realm="caliper"')
    assert answer.json()["errors"][0]["code"] == code
    settings = door.settings
    bootstrap = door.bootstrap
    assert await read_topic(bootstrap, settings.events_topic, expect=0, settle_s=0.3) == []


async def test_rotated_key_is_fetched_once(
    door: FrontDoor, jwks_server: JwksServer, envelope: bytes
) -> None:
    assert (await post(door, envelope, sign(KEY))).status_code == 200
    before = jwks_server.fetches
    rotated = SigningKey.ec("k2")
    jwks_server.document = jwks(KEY, rotated)
    await asyncio.sleep(0.3)  # past auth_jwks_min_refresh_s
    tokens = [sign(rotated, Claims(client_id=f"c{i}")) for i in range(10)]
    answers = await asyncio.gather(*(post(door, envelope, t) for t in tokens))
    assert [a.status_code for a in answers] == [200] * 10
    assert jwks_server.fetches == before + 1
    # A flood of unknown kids costs at most one fetch per refresh interval.
    forged = [sign(KEY, kid=f"random-{i}") for i in range(30)]
    refused = await asyncio.gather(*(post(door, envelope, t) for t in forged))
    assert {a.status_code for a in refused} == {401}
    assert jwks_server.fetches <= before + 2


async def test_jwks_down_cached_keys_keep_working(
    door: FrontDoor, jwks_server: JwksServer, envelope: bytes
) -> None:
    assert (await post(door, envelope, sign(KEY))).status_code == 200
    jwks_server.failing = True
    await asyncio.sleep(0.3)
    assert (await post(door, envelope, sign(KEY, Claims(client_id="b")))).status_code == 200
    assert (await post(door, envelope, sign(KEY, kid="new"))).status_code == 401


async def test_no_keys_at_all_is_503_and_not_ready(
    bootstrap_servers: str, jwks_server: JwksServer, envelope: bytes
) -> None:
    jwks_server.failing = True
    door, task = await start_front_door(auth_settings(jwks_server.url), bootstrap_servers)
    try:
        answer = await post(door, envelope, sign(KEY))
        async with httpx.AsyncClient(base_url=door.url) as client:
            ready = await client.get("/readyz")
    finally:
        await stop_front_door(door, task)
    assert answer.status_code == 503
    assert answer.json()["errors"][0]["code"] == "auth_unavailable"
    assert answer.headers["retry-after"] == str(door.settings.retry_after_s)
    assert ready.status_code == 503
    assert "issuer keys" in orjson.loads(ready.content)["errors"][0]["message"]
