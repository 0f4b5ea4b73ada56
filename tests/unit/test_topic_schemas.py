"""schemas/topics/ and schemas/asyncapi.yaml: valid documents that name every topic we write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from consumers.aggregator.settings import AggregatorSettings
from consumers.oneroster.settings import WriterSettings
from ingest.settings import Settings
from tests.conftest import REPO_ROOT

SCHEMAS = REPO_ROOT / "schemas"
TOPIC_SCHEMAS = sorted((SCHEMAS / "topics").glob("*.schema.json"))


def asyncapi() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((SCHEMAS / "asyncapi.yaml").read_text())
    return document


def written_topics() -> set[str]:
    """The default of every topic setting a process writes to."""
    door, aggregator, writer = Settings(), AggregatorSettings(), WriterSettings()
    return {
        door.events_topic,
        door.rejected_topic,
        aggregator.facts_topic,
        aggregator.daily_topic,
        aggregator.conflicts_topic,
        writer.dlq_topic,
    }


@pytest.mark.parametrize("path", TOPIC_SCHEMAS, ids=lambda p: p.name)
def test_each_topic_schema_is_valid_draft_2020_12(path: Path) -> None:
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False  # our own records: strict


def test_asyncapi_3_names_a_channel_and_a_schema_for_every_topic_we_write() -> None:
    document = asyncapi()
    assert document["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == written_topics()
    assert {p.name.removesuffix(".schema.json") for p in TOPIC_SCHEMAS} == addresses


def test_every_reference_resolves() -> None:
    document = asyncapi()
    for name, message in document["components"]["messages"].items():
        payload = message["payload"]["$ref"]
        assert (SCHEMAS / payload).is_file(), f"{name}: {payload}"
    for channel in document["channels"].values():
        for message in channel["messages"].values():
            key = message["$ref"].removeprefix("#/components/messages/")
            assert key in document["components"]["messages"]
    for operation in document["operations"].values():
        key = operation["channel"]["$ref"].removeprefix("#/channels/")
        assert key in document["channels"]
