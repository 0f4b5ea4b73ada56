"""Document limits: depth, string length, number range, each with the culprit's path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.validators.json_values import json_values
from validators.limits import (
    NUMBER_OUT_OF_RANGE,
    STRING_TOO_LONG,
    TOO_DEEP,
    DocumentLimitError,
    DocumentLimits,
    check_document,
)
from validators.limits_schema import MAX_SAFE_NUMBER


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth - 1):
        value = {"a": [value]} if depth % 2 else [value]
    return value


NATIVE = DocumentLimits(max_depth=8, max_string_chars=10)


def python_walk(document: Any) -> None:
    check_document(document, max_depth=8, max_string_chars=10)


def native(document: Any) -> None:
    NATIVE.check(document)


CHECKS = pytest.mark.parametrize("check", [python_walk, native], ids=lambda c: c.__name__)
Check = Callable[[Any], None]


def test_the_native_engine_is_in_use() -> None:
    assert NATIVE.native


@pytest.mark.parametrize(
    "document",
    [
        {"data": [{"id": "x" * 10, "n": MAX_SAFE_NUMBER, "f": -1.5, "b": True, "z": None}]},
        [[[[[[[[1]]]]]]]],
        "short",
        MAX_SAFE_NUMBER,
    ],
)
@CHECKS
def test_within_limits_passes(document: Any, check: Check) -> None:
    check(document)


@pytest.mark.parametrize(
    ("document", "code", "path"),
    [
        ([[[[[[[[[1]]]]]]]]], TOO_DEEP, "$[0][0][0][0][0][0][0][0]"),
        ([[[[[[[[["a"]]]]]]]]], TOO_DEEP, "$[0][0][0][0][0][0][0][0]"),
        ({"k": [[[[[[[{}]]]]]]]}, TOO_DEEP, "$.k[0][0][0][0][0][0][0]"),
        ({"v": ["x", 2**54]}, NUMBER_OUT_OF_RANGE, "$.v[1]"),
        ({"data": [{"sensor": "x" * 11}]}, STRING_TOO_LONG, "$.data[0].sensor"),
        ({"k" * 11: 1}, STRING_TOO_LONG, "$"),
        ("x" * 11, STRING_TOO_LONG, "$"),
        ({"v": [1, MAX_SAFE_NUMBER + 1]}, NUMBER_OUT_OF_RANGE, "$.v[1]"),
        ({"v": -1e300}, NUMBER_OUT_OF_RANGE, "$.v"),
        (2**70, NUMBER_OUT_OF_RANGE, "$"),
        ({"s": 'ab"cd"ef"gh'}, STRING_TOO_LONG, "$.s"),
        ({"a": [{"k" * 11: None}]}, STRING_TOO_LONG, "$.a[0]"),
        ({"s": "\u00e9" * 11}, STRING_TOO_LONG, "$.s"),
    ],
)
@CHECKS
def test_each_limit_names_the_culprit(document: Any, code: str, path: str, check: Check) -> None:
    with pytest.raises(DocumentLimitError) as caught:
        check(document)
    assert caught.value.code == code
    assert caught.value.path == path


def test_hostile_depth_is_iterative_not_recursive() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(DocumentLimitError) as walked:
        check_document(deep, max_depth=32, max_string_chars=10)
    with pytest.raises(DocumentLimitError) as native:
        DocumentLimits(max_depth=32, max_string_chars=10).check(deep)
    assert walked.value.code == native.value.code == TOO_DEEP


@CHECKS
def test_characters_are_counted_not_bytes(check: Check) -> None:
    check({"s": "\u00e9" * 10, "\u00e9" * 10: "\U0001f600" * 10})


json_documents = json_values(
    max_int=2**60, text=st.text(max_size=50), keys=st.text(max_size=50), max_leaves=30
)


def _verdict(check: Check, document: Any) -> str | None:
    try:
        check(document)
    except DocumentLimitError as exc:
        return f"{exc.code} {exc.path}"
    return None


SHALLOW = DocumentLimits(max_depth=3, max_string_chars=40)


@settings(max_examples=400, deadline=None)
@given(json_documents)
def test_native_and_python_checks_agree(document: Any) -> None:
    """Same verdict, code and path; a depth of 3 makes hypothesis reach the depth limit."""
    for limits in (NATIVE, SHALLOW):

        def reference(value: Any, limits: DocumentLimits = limits) -> None:
            check_document(
                value, max_depth=limits.max_depth, max_string_chars=limits.max_string_chars
            )

        assert _verdict(limits.check, document) == _verdict(reference, document)
