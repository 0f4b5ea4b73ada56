"""The generic Caliper 1.2 schema (schemas/caliper.schema.json) as a document.

Acceptance and rejection of the IMS fixtures through the whole validator are in
test_conformance.py; here: the document's shape, and that the fast path
(fastjsonschema) and the explainer (jsonschema) agree on every fixture (all three
engines: test_engines_agree.py).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema
import orjson
import pytest

from tests.conftest import REPO_ROOT, conformance_root
from validators.schema_store import SchemaDocument, load_document


@functools.cache
def schema() -> dict[str, Any]:
    return load_document("caliper.schema.json")


@functools.cache
def document() -> SchemaDocument:
    return SchemaDocument(schema())


def event_types() -> list[str]:
    return list(schema()["$defs"]["EventTypes"]["enum"])


def entity_types() -> list[str]:
    return list(schema()["$defs"]["EntityTypes"]["enum"])


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    assert "$id" not in orjson.dumps(schema()).decode()


def test_a_def_per_type() -> None:
    assert len(event_types()) == 22
    assert "Event" in event_types()
    for name in [*event_types(), *entity_types()]:
        assert schema()["$defs"][name]["properties"]["type"] == {"const": name}
    assert not set(event_types()) & set(entity_types())


@pytest.mark.parametrize("type_name", [*event_types(), *entity_types()])
def test_every_def_compiles(type_name: str) -> None:
    with pytest.raises(fastjsonschema.JsonSchemaException):
        document().fast(type_name)({"type": type_name, "unexpected": True})
    assert not document().is_valid({"type": type_name, "unexpected": True}, type_name)
    assert not document().is_valid({"type": type_name, "unexpected": True}, type_name, "rust")


def fixture_items() -> Iterator[tuple[str, Any]]:
    root = conformance_root() / "caliper-v1p2"
    if not root.is_dir():
        return
    for path in sorted(root.glob("caliper*.json")) + sorted(root.glob("commonErrorFixtures/*")):
        try:
            loaded = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            continue
        items = loaded["data"] if path.name.startswith("caliperEnvelope") else [loaded]
        for index, item in enumerate(items):
            yield f"{path.name}[{index}]", item


FIXTURE_ITEMS = dict(fixture_items())


@pytest.mark.parametrize("ref", sorted(FIXTURE_ITEMS))
def test_fastjsonschema_agrees_with_jsonschema(conformance_dir: Path, ref: str) -> None:
    item = FIXTURE_ITEMS[ref]
    kind = item.get("type") if isinstance(item, dict) else None
    if kind not in event_types() and kind not in entity_types():
        return  # no Caliper type: rejected by dispatch before any schema runs
    errors = [e.message for e in document().explain(item, kind)]
    assert document().is_valid(item, kind) == (errors == []), errors


def test_schema_files_live_at_the_top_level() -> None:
    assert (REPO_ROOT / "schemas" / "caliper.schema.json").is_file()
