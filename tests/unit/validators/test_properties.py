"""Generated inputs: the validator never raises, never answers "invalid" without a reason,
and never accepts what the jsonschema reference validator rejects."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import conformance_root
from tests.unit.validators.json_values import json_values
from validators import EnvelopeValidator
from validators.schema_store import SchemaDocument, envelope_document, load_document

VALIDATOR = EnvelopeValidator()
ENVELOPE = envelope_document(1000)
TIMEBACK = SchemaDocument(load_document("timeback.schema.json"))
CALIPER = SchemaDocument(load_document("caliper.schema.json"))
CODE = re.compile(r"[a-z][a-z0-9_]*")

JSON = json_values(max_int=2**63, text=st.text(max_size=20), keys=st.text(max_size=10))
# Values a mutation puts in place: arbitrary JSON and near-misses of real values.
NEAR_MISSES: st.SearchStrategy[Any] = st.sampled_from(
    [
        "",
        "urn:uuid:nope",
        "2024-02-30T00:00:00Z",
        "https://x.example/with space",
        "Completed",
        "SpentTime",
        "TimebackProfile",
        "GeneralProfile",
        -1,
        0,
        1.5,
        86401,
        True,
        None,
        [],
        {},
        {"type": "xpEarned", "value": 1},
        {"type": "Person", "id": "https://x.example/p"},
    ]
)


def seed_envelopes() -> list[dict[str, Any]]:
    root = conformance_root()
    files = sorted((root / "timeback-clients").glob("*.json")) + sorted(
        (root / "caliper-v1p2").glob("caliperEnvelope*.json")
    )
    assert files, f"conformance corpora missing at {root}"
    return [orjson.loads(Path(path).read_bytes()) for path in files]


SEEDS = seed_envelopes()


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(paths(value, (*prefix, index)))
    return found


def mutate(
    draw: st.DrawFn, envelope: Any, format_values: st.SearchStrategy[Any] | None = None
) -> Any:
    """One to three edits of `envelope`, in place: replace, delete or add a node; given
    `format_values`, a string leaf mostly gets one of those instead."""
    actions = ["replace", "delete", "add"]
    if format_values is not None:
        actions += ["format", "format"]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        target = draw(st.sampled_from(paths(envelope)))
        if not target:
            continue
        *parent_path, last = target
        parent: Any = envelope
        for step in parent_path:
            parent = parent[step]
        action = draw(st.sampled_from(actions))
        if format_values is not None and (
            action == "format" or (action == "replace" and isinstance(parent[last], str))
        ):
            parent[last] = draw(format_values)
        elif action == "replace":
            parent[last] = copy.deepcopy(draw(NEAR_MISSES | JSON))
        elif action == "delete" and isinstance(parent, dict):
            del parent[last]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = copy.deepcopy(draw(JSON))
    return envelope


@st.composite
def mutated_envelopes(draw: st.DrawFn) -> Any:
    return mutate(draw, copy.deepcopy(draw(st.sampled_from(SEEDS))))


def reference_accepts(envelope: Any) -> bool:
    """The jsonschema verdict, item by item, on the same documents."""
    if list(ENVELOPE.explain(envelope)):
        return False
    for item in envelope["data"]:
        kind = item["type"]
        document = TIMEBACK if kind in ("ActivityEvent", "TimeSpentEvent") else CALIPER
        if list(document.explain(item, kind)):
            return False
    return True


def check(envelope: Any) -> None:
    result = VALIDATOR.validate(envelope)
    if result.valid:
        assert result.errors == []
        assert reference_accepts(envelope)
    else:
        assert result.errors
        for error in result.errors:
            assert error.path.startswith("$")
            assert CODE.fullmatch(error.code)
            assert error.index is None or isinstance(error.index, int)
            assert len(error.message) < 1000


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_arbitrary_json(value: Any) -> None:
    check(value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["sensor", "sendTime", "dataVersion", "data"]), JSON))
def test_arbitrary_envelope_fields(value: Any) -> None:
    check(value)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_envelopes())
def test_mutated_real_envelopes(envelope: Any) -> None:
    check(envelope)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_envelopes())
def test_fast_path_agrees_with_the_explainer(envelope: Any) -> None:
    data = envelope.get("data") if isinstance(envelope, dict) else None
    for item in data if isinstance(data, list) else []:
        kind = item.get("type") if isinstance(item, dict) else None
        if not isinstance(kind, str):
            continue
        if kind in ("ActivityEvent", "TimeSpentEvent"):
            document = TIMEBACK
        elif kind in VALIDATOR.event_types or kind in VALIDATOR.entity_types:
            document = CALIPER
        else:
            continue
        assert document.is_valid(item, kind) == (not list(document.explain(item, kind)))
