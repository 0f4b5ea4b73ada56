"""Real records of every topic we write, validated against schemas/topics/ and the
headers schemas of schemas/asyncapi.yaml: front door -> broker -> aggregator and
OneRoster writer (its server failing, so results are dead-lettered)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml
from aiokafka.structs import ConsumerRecord
from jsonschema import Draft202012Validator, FormatChecker

from caliper_pipeline.dev.oneroster import DevServer
from tests.conftest import REPO_ROOT
from tests.integration.conftest import FrontDoor, read_topic
from tests.integration.consumers.aggregator.conftest import StoreConfig, aggregator_settings
from tests.integration.consumers.aggregator.stream import wait_caught_up
from tests.integration.consumers.aggregator.test_pipeline import running
from tests.integration.consumers.oneroster.conftest import (
    ROSTER,
    activity,
    eventually,
    oneroster,
    post_events,
    running_writer,
    sample,
    writer_settings,
)

pytestmark = pytest.mark.integration
__all__ = ["oneroster"]  # the fixture, imported for this module's test

SCHEMAS = REPO_ROOT / "schemas"
ASYNCAPI: dict[str, Any] = yaml.safe_load((SCHEMAS / "asyncapi.yaml").read_text())


def validator(topic: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / "topics" / f"{topic}.schema.json").read_text())
    return Draft202012Validator(schema, format_checker=FormatChecker())


def headers_validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(ASYNCAPI["components"]["schemas"][name])


def assert_valid(topic: str, records: list[ConsumerRecord[bytes, bytes]]) -> list[Any]:
    check = validator(topic)
    values = [orjson.loads(record.value or b"null") for record in records]
    for value in values:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in check.iter_errors(value)]
        assert not errors, f"{topic}: {errors} in {value}"
    return values


def header_map(record: ConsumerRecord[bytes, bytes]) -> dict[str, str]:
    return {name: raw.decode() for name, raw in record.headers}


async def test_every_topic_s_records_match_their_schema(
    bootstrap_servers: str, front_door: FrontDoor, oneroster: DevServer, tmp_path: Path
) -> None:
    first = activity("stu-1", f"{ROSTER}/courses/component-resources/res-1")
    second = activity("stu-2", f"{ROSTER}/courses/component-resources/res-2")
    changed = copy.deepcopy(first)
    changed["generated"]["items"][0]["value"] = 999
    async with httpx.AsyncClient() as client:
        fault = {"kind": "status", "status": 500, "count": 1000}
        assert (await client.post(f"{oneroster.url}/_dev/faults", json=fault)).status_code == 201
        await post_events(front_door.url, [first, second])
        await post_events(front_door.url, [changed])
        bad = {"sensor": "https://app.example.com", "sendTime": "2026-02-10T15:04:06.000Z",
               "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
               "data": [{**second, "id": "not-a-urn"}]}  # fmt: skip
        refused = await client.post(f"{front_door.url}/caliper/event", json=bad)
        assert refused.status_code == 400
    events_topic = front_door.settings.events_topic
    store = StoreConfig("sqlite", f"sqlite://{tmp_path}/aggregator.sqlite3", "aggregator")
    settings = aggregator_settings(store, events_topic=events_topic)
    async with running(settings, bootstrap_servers) as (_, watcher):
        await wait_caught_up(watcher, events_topic, 3)
    writer = writer_settings(events_topic, oneroster, retry_max=1)
    async with running_writer(writer, bootstrap_servers) as metrics:
        await eventually(
            lambda: (
                sample(metrics, "caliper_oneroster_dead_letters_total", code="retries_exhausted")
                >= 2
            )
        )

    events = await read_topic(bootstrap_servers, events_topic, expect=3)
    assert_valid("caliper.events", events)
    for record in events:
        assert not list(headers_validator("eventHeaders").iter_errors(header_map(record)))
    rejected = await read_topic(bootstrap_servers, front_door.settings.rejected_topic, expect=1)
    (refusal,) = assert_valid("caliper.events.rejected", rejected)
    assert refusal["errors"][0]["path"].startswith("$.data[0]")
    assert not list(headers_validator("versionAndClient").iter_errors(header_map(rejected[0])))
    facts = assert_valid(
        "timeback.facts", await read_topic(bootstrap_servers, settings.facts_topic, expect=2)
    )
    assert sorted(f["eventId"] for f in facts) == sorted([first["id"], second["id"]])
    daily = assert_valid(
        "timeback.facts.daily", await read_topic(bootstrap_servers, settings.daily_topic, expect=2)
    )
    assert {d["xpEarned"] for d in daily} == {20}
    (conflict,) = assert_valid(
        "caliper.events.conflicts",
        await read_topic(bootstrap_servers, settings.conflicts_topic, expect=1),
    )
    assert conflict["eventId"] == first["id"]
    letters = await read_topic(bootstrap_servers, writer.dlq_topic, expect=2)
    assert {v["reason"] for v in assert_valid("oneroster.results.dlq", letters)} == {
        "retries_exhausted"
    }
    dlq_headers = ASYNCAPI["components"]["messages"]["deadLetter"]["headers"]
    for record in letters:
        assert not list(Draft202012Validator(dlq_headers).iter_errors(header_map(record)))

    # Not vacuous: one field of a real record with the wrong type fails.
    broken = {**facts[0], "metrics": {"xpEarned": "20"}}
    assert not validator("timeback.facts").is_valid(broken)
    assert not validator("timeback.facts.daily").is_valid({**daily[0], "events": "1"})
    assert not validator("caliper.events.conflicts").is_valid({**conflict, "extra": 1})
