"""The front door over real HTTP against a real broker: answers and what lands in Kafka."""

from __future__ import annotations

import copy
import gzip
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tests.integration.conftest import FrontDoor, read_topic

pytestmark = pytest.mark.integration

EXAMPLES = [f"seed-example{i}.json" for i in range(1, 9)]


def load(conformance_dir: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((conformance_dir / "timeback-clients" / name).read_bytes())
    return data


def broken(envelope: dict[str, Any]) -> dict[str, Any]:
    bad = copy.deepcopy(envelope)
    bad["dataVersion"] = "http://purl.imsglobal.org/ctx/caliper/v1p1"
    bad["data"][0]["id"] = "urn:uuid:not-a-uuid"
    del bad["data"][0]["actor"]
    return bad


@pytest.mark.parametrize("name", EXAMPLES)
async def test_documentation_example_lands_with_key_and_headers(
    front_door: FrontDoor, conformance_dir: Path, name: str
) -> None:
    envelope = load(conformance_dir, name)
    async with httpx.AsyncClient(base_url=front_door.url) as client:
        answer = await client.post("/caliper/event", json=envelope)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "success", "message": "1 event accepted", "errors": []}

    settings = front_door.settings
    records = await read_topic(front_door.bootstrap, settings.events_topic, expect=1)
    assert len(records) == 1
    record = records[0]
    event = envelope["data"][0]
    assert record.key == event["actor"]["id"].encode()
    headers = dict(record.headers)
    assert headers["event-type"] == event["type"].encode()
    assert headers["profile"] == b"TimebackProfile"
    assert headers["schema-version"] == envelope["dataVersion"].encode()
    value = orjson.loads(record.value)
    assert value["event"]["id"] == event["id"]
    assert value["event"]["type"] == event["type"]
    assert value["sensor"] == envelope["sensor"]
    assert value["sendTime"] == envelope["sendTime"]
    assert value["receivedTime"].endswith("Z")


async def test_invalid_envelope_is_400_publishes_nothing_and_is_copied_to_rejected(
    front_door: FrontDoor, conformance_dir: Path
) -> None:
    envelope = broken(load(conformance_dir, "seed-example1.json"))
    async with httpx.AsyncClient(base_url=front_door.url) as client:
        answer = await client.post("/caliper/event", json=envelope)
    assert answer.status_code == 400
    body = answer.json()
    assert body["status"] == "error"
    assert body["errors"]
    assert {"index", "path", "code", "message"} <= set(body["errors"][0])

    settings = front_door.settings
    bootstrap = front_door.bootstrap
    rejected = await read_topic(bootstrap, settings.rejected_topic, expect=1)
    assert len(rejected) == 1
    copy_ = orjson.loads(rejected[0].value)
    assert copy_["sensor"] == envelope["sensor"]
    assert copy_["errors"] == body["errors"]
    assert orjson.loads(copy_["body"]) == envelope
    assert copy_["bodyTruncated"] is False
    assert await read_topic(bootstrap, settings.events_topic, expect=0, settle_s=1.0) == []


async def test_validate_answers_like_event_and_publishes_nothing(
    front_door: FrontDoor, conformance_dir: Path
) -> None:
    good = load(conformance_dir, "seed-example5.json")
    async with httpx.AsyncClient(base_url=front_door.url) as client:
        ok = await client.post("/caliper/event/validate", json=good)
        bad = await client.post("/caliper/event/validate", json=broken(good))
    assert ok.status_code == 200
    assert ok.json()["status"] == "success"
    assert bad.status_code == 400
    assert bad.json()["errors"]
    settings = front_door.settings
    bootstrap = front_door.bootstrap
    assert await read_topic(bootstrap, settings.events_topic, expect=0, settle_s=1.0) == []
    assert await read_topic(bootstrap, settings.rejected_topic, expect=0, settle_s=0.2) == []


async def test_topics_exist_with_configured_partitions(front_door: FrontDoor) -> None:
    settings = front_door.settings
    admin = AIOKafkaAdminClient(bootstrap_servers=front_door.bootstrap)
    await admin.start()
    try:
        topics = {t["topic"]: t for t in await admin.describe_topics()}
    finally:
        await admin.close()
    assert len(topics[settings.events_topic]["partitions"]) == settings.events_partitions
    assert len(topics[settings.rejected_topic]["partitions"]) == settings.rejected_partitions


async def test_probes_and_openapi(front_door: FrontDoor) -> None:
    async with httpx.AsyncClient(base_url=front_door.url) as client:
        assert (await client.get("/healthz")).status_code == 200
        # These tests run with auth explicitly off, and /readyz says so.
        ready = (await client.get("/readyz")).json()["message"]
        assert ready == "ready; WARNING: authentication is off"
        metrics = await client.get("/metrics")
        document = (await client.get("/openapi.json")).json()
    assert "caliper_ingest_requests_total" in metrics.text
    body = document["paths"]["/caliper/event"]["post"]["requestBody"]
    assert len(body["content"]["application/json"]["examples"]) == 8
    assert "Envelope" in document["components"]["schemas"]


async def _post(client: httpx.AsyncClient, content: bytes, **headers: str) -> httpx.Response:
    merged = {"content-type": "application/json", **headers}
    return await client.post("/caliper/event", content=content, headers=merged)


async def test_transport_errors_have_the_contract_shape(
    front_door: FrontDoor, conformance_dir: Path
) -> None:
    limit = front_door.settings.max_body_bytes
    good = orjson.dumps(load(conformance_dir, "seed-example1.json"))
    bomb = gzip.compress(b" " * (front_door.settings.max_decompressed_bytes + 1))
    assert len(bomb) < limit

    async def chunks() -> Any:
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    async with httpx.AsyncClient(base_url=front_door.url) as client:
        cases = {
            "malformed_json": (400, await _post(client, b'{"data": [')),
            "body_too_large": (413, await _post(client, b" " * (limit + 1))),
            "unsupported_media_type": (
                415,
                await _post(client, good, **{"content-type": "text/plain"}),
            ),
            "unsupported_content_encoding": (
                415,
                await _post(client, good, **{"content-encoding": "br"}),
            ),
            "decompressed_body_too_large": (
                413,
                await _post(client, bomb, **{"content-encoding": "gzip"}),
            ),
            "malformed_gzip": (
                400,
                await _post(client, b"not gzip", **{"content-encoding": "gzip"}),
            ),
            "not_found": (404, await client.get("/nowhere")),
            "method_not_allowed": (405, await client.get("/caliper/event")),
        }
        streamed = await client.post(
            "/caliper/event", content=chunks(), headers={"content-type": "application/json"}
        )
        gzipped = await _post(client, gzip.compress(good), **{"content-encoding": "gzip"})
    for code, (status, answer) in cases.items():
        assert answer.status_code == status, (code, answer.text)
        body = answer.json()
        assert body["status"] == "error"
        assert body["errors"][0]["code"] == code
    assert streamed.status_code == 413
    assert streamed.json()["errors"][0]["code"] == "body_too_large"
    assert gzipped.status_code == 200, gzipped.text
