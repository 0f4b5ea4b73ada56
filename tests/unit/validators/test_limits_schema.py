"""Folding the document limits into a schema: fold(S) accepts exactly what S accepts and
the limits allow, whatever S's keywords, at any depth and with small limits."""

from __future__ import annotations

from typing import Any, Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.validators.json_values import json_values
from validators.engines import compile_native
from validators.limits import DocumentLimitError, check_document
from validators.limits_schema import DRAFT, MAX_SAFE_NUMBER, LimitFolder

MAX_DEPTH: Final = 4
MAX_CHARS: Final = 6
FOLDER: Final = LimitFolder(max_depth=MAX_DEPTH, max_chars=MAX_CHARS)
CLOSING: Final = LimitFolder(max_depth=MAX_DEPTH, max_chars=MAX_CHARS, closed=True)

SCHEMAS: Final[list[Any]] = [
    True,
    {},
    {"type": "object"},
    {"type": "string", "maxLength": 3},
    {"type": "integer", "minimum": -5, "maximum": 2**60},
    {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "array"}}},
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {"k": {"type": "array", "items": {"type": "number"}}, "lo" * 4: {}},
    },
    {
        "type": "object",
        "additionalProperties": {"type": "object"},
        "propertyNames": {"minLength": 1},
    },
    {"patternProperties": {"^x": {"type": "array"}}, "additionalProperties": False},
    {"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"required": ["id"]}},
    {"anyOf": [{"type": "array", "items": {"type": "object"}}, {"type": "null"}]},
    {"not": {"type": "array"}},
    {"prefixItems": [{"type": "string"}, {"type": "object"}], "items": False},
    {"type": "array", "contains": {"type": "object"}, "maxContains": 2},
    {"const": {"a": [1]}},
    {"const": "ok"},
    {"enum": ["short", "much too long"]},
    {"enum": [2**60, 1]},
    {"$ref": "#/$defs/any"},
    {"unevaluatedProperties": False, "properties": {"a": {}}},
]

JSON = json_values(
    max_int=2**60,
    text=st.text(max_size=8),
    keys=st.sampled_from(["a", "b", "k", "id", "x1", "lolololo", "long key"]),
    width=3,
    max_leaves=15,
)


def _document(schema: Any, defs: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": DRAFT, "$defs": {**defs, "any": {}}, "allOf": [schema]}


PLAIN: Final = [compile_native(_document(s, {})).is_valid for s in SCHEMAS]
FOLDED: Final = [
    compile_native(_document(FOLDER.fold(s, 1), FOLDER.levels())).is_valid for s in SCHEMAS
]


CLOSED: Final = [
    compile_native(_document(CLOSING.fold(s, 1), CLOSING.levels())).is_valid for s in SCHEMAS
]


def _within(document: Any) -> bool:
    try:
        check_document(document, max_depth=MAX_DEPTH, max_string_chars=MAX_CHARS)
    except DocumentLimitError:
        return False
    return True


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_folded_schemas_accept_what_the_schema_and_the_limits_accept(document: Any) -> None:
    within = _within(document)
    for schema, plain, folded in zip(SCHEMAS, PLAIN, FOLDED, strict=True):
        assert folded(document) == (plain(document) and within), schema


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_closed_folding_is_stricter_never_laxer(document: Any) -> None:
    """What the closed fold accepts the plain fold accepts; it refuses exactly the objects
    with properties their schema does not declare (where the schema declares some)."""
    for schema, folded, closed in zip(SCHEMAS, FOLDED, CLOSED, strict=True):
        if closed(document):
            assert folded(document), schema


def test_closed_folding_refuses_an_undeclared_property() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    closed = compile_native(_document(CLOSING.fold(schema, 1), CLOSING.levels())).is_valid
    assert closed({"a": "x"})
    assert not closed({"a": "x", "b": 1})
    assert FOLDED[SCHEMAS.index({"type": "object"})]({"b": 1})


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"a": "abcdef"}, True),
        ({"a": "abcdefg"}, False),  # a string one over
        ({"abcdefg": 1}, False),  # a key one over
        ({"a": [[[1]]]}, True),  # 4 containers deep
        ({"a": [[[[1]]]]}, False),  # 5
        ({"a": MAX_SAFE_NUMBER}, True),
        ({"a": -MAX_SAFE_NUMBER - 1}, False),
        ({"a": 1e300}, False),
    ],
)
def test_the_limits_at_their_edges(document: Any, expected: bool) -> None:
    folded = FOLDED[SCHEMAS.index({})]
    assert folded(document) is expected
    assert _within(document) is expected


def test_a_strict_node_gets_no_generic_walk() -> None:
    """What makes folding pay: a closed object with short names gets no propertyNames
    and no generic level, and a const within the limits is left as it is."""
    closed = {"type": "object", "additionalProperties": False, "properties": {"t": {"const": "x"}}}
    folded = FOLDER.fold(closed, 1)
    assert "propertyNames" not in folded
    assert folded["properties"]["t"] == {"const": "x"}
    assert folded["additionalProperties"] is False


@pytest.mark.parametrize(
    ("schema", "document"),
    [
        ({"const": "x" * 7}, "x" * 7),
        ({"enum": ["ok", "x" * 7]}, "x" * 7),
        ({"const": [[[[[1]]]]]}, [[[[[1]]]]]),
        ({"const": 2**60}, 2**60),
    ],
)
def test_a_fixed_value_past_the_limits_is_refused(schema: Any, document: Any) -> None:
    folded = compile_native(_document(FOLDER.fold(schema, 1), FOLDER.levels())).is_valid
    assert compile_native(_document(schema, {})).is_valid(document)
    assert not folded(document)
