"""The top-level package `validators` is ours, not the PyPI package of the same name."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest

import validators
from tests.conftest import REPO_ROOT
from validators.schema_store import RemoteRefError, SchemaDocument


def test_import_validators_is_ours() -> None:
    assert Path(validators.__file__).resolve().parent == REPO_ROOT / "validators"
    assert hasattr(validators, "EnvelopeValidator")


def test_pypi_validators_is_not_installed() -> None:
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.distribution("validators")


def test_schemas_use_only_local_refs() -> None:
    def refs(node: object) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [r for value in node.values() for r in refs(value)]
        if isinstance(node, list):
            return [r for value in node for r in refs(value)]
        return []

    documents = sorted((REPO_ROOT / "schemas").glob("*.json"))
    assert len(documents) >= 3
    for document in documents:
        schema = json.loads(document.read_text())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        for ref in refs(schema):
            assert ref.startswith("#/"), f"{document.name}: non-local $ref {ref}"


def test_fast_path_never_fetches_a_remote_ref() -> None:
    document = SchemaDocument({"$ref": "https://example.com/remote.schema.json"})
    with pytest.raises(RemoteRefError):
        document.fast()
