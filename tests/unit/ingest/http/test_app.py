"""The app over ASGI with a fake publisher: answers, 503s, metrics, OpenAPI."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from prometheus_client import CollectorRegistry

from ingest.errors import OverloadedError, PublishError
from ingest.http.app import create_app
from ingest.kafka.records import Record
from ingest.settings import Settings


class FakePublisher:
    def __init__(self, failure: PublishError | None = None) -> None:
        self.failure = failure
        self.events: list[Record] = []
        self.rejected: list[Record] = []

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def publish_events(self, records: Sequence[Record]) -> None:
        if self.failure is not None:
            raise self.failure
        self.events.extend(records)

    def publish_rejected(self, record: Record) -> bool:
        self.rejected.append(record)
        return True

    async def ready(self) -> bool:
        return True

    @property
    def pending_records(self) -> int:
        return 0


@pytest.fixture
def example(conformance_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(
        (conformance_dir / "timeback-clients" / "seed-example1.json").read_bytes()
    )
    return data


def client(publisher: FakePublisher, registry: CollectorRegistry) -> httpx.AsyncClient:
    # Not about auth: tests/unit/test_auth_app.py covers the front door with tokens.
    settings = Settings(auth_enabled=False)
    app = create_app(settings=settings, publisher=publisher, registry=registry)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_valid_envelope_is_published(example: dict[str, Any]) -> None:
    publisher, registry = FakePublisher(), CollectorRegistry()
    async with client(publisher, registry) as c:
        answer = await c.post("/caliper/event", json=example)
    assert answer.status_code == 200
    assert len(publisher.events) == 1
    assert registry.get_sample_value("caliper_ingest_events_total", {"client": "anonymous"}) == 1
    assert dict(publisher.events[0].headers)["client-id"] == b"anonymous"


async def test_invalid_envelope_is_400_and_copied_to_rejected(example: dict[str, Any]) -> None:
    publisher = FakePublisher()
    bad = copy.deepcopy(example)
    bad["data"][0]["id"] = "urn:uuid:not-a-uuid"
    async with client(publisher, CollectorRegistry()) as c:
        answer = await c.post("/caliper/event", json=bad)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["index"] == 0
    assert publisher.events == []
    assert len(publisher.rejected) == 1


@pytest.mark.parametrize(
    ("failure", "code"),
    [(PublishError("down"), "broker_unavailable"), (OverloadedError("full"), "overloaded")],
)
async def test_publish_failure_is_503_with_retry_after(
    example: dict[str, Any], failure: PublishError, code: str
) -> None:
    async with client(FakePublisher(failure), CollectorRegistry()) as c:
        answer = await c.post("/caliper/event", json=example)
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == str(Settings().retry_after_s)
    assert answer.json()["errors"][0]["code"] == code


async def test_validate_never_publishes(example: dict[str, Any]) -> None:
    publisher = FakePublisher()
    async with client(publisher, CollectorRegistry()) as c:
        answer = await c.post("/caliper/event/validate", json=example)
    assert answer.status_code == 200
    assert publisher.events == []


async def test_openapi_documents_the_body_and_answers() -> None:
    async with client(FakePublisher(), CollectorRegistry()) as c:
        document = (await c.get("/openapi.json")).json()
    post = document["paths"]["/caliper/event"]["post"]
    assert set(post["responses"]) >= {"200", "400", "413", "415", "503"}
    body = post["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/Envelope"}
    assert len(body["examples"]) == 8


class BrokenPublisher(FakePublisher):
    async def publish_events(self, records: Sequence[Record]) -> None:
        raise RuntimeError("a bug, not bad input")


async def test_a_bug_is_a_json_500_not_a_crash(
    example: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    async with client(BrokenPublisher(), CollectorRegistry()) as c:
        answer = await c.post("/caliper/event", json=example)
    assert answer.status_code == 500
    assert answer.json()["errors"] == [
        {"index": None, "path": "$", "code": "internal_error", "message": "Internal error"}
    ]
    assert "unexpected error" in caplog.text


async def test_the_time_bounds_come_from_the_settings(example: dict[str, Any]) -> None:
    settings = Settings(auth_enabled=False, earliest_event_time=datetime(2025, 1, 1, tzinfo=UTC))
    app = create_app(settings=settings, publisher=FakePublisher(), registry=CollectorRegistry())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        answer = await c.post("/caliper/event", json=example)  # eventTime 2024-04-24
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert [(e["path"], e["code"]) for e in errors] == [("$.data[0].eventTime", "time_too_early")]
    assert "before 2025-01-01T00:00:00Z" in errors[0]["message"]
