"""Document limits: depth, string length, number range, each with the culprit's path."""

from __future__ import annotations

from typing import Any

import pytest

from ingest.errors import IngestError
from ingest.http.limits import (
    MAX_SAFE_NUMBER,
    NumberOutOfRangeError,
    StringTooLongError,
    TooDeepError,
    check_document,
)


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth - 1):
        value = {"a": [value]} if depth % 2 else [value]
    return value


def check(document: Any) -> None:
    check_document(document, max_depth=8, max_string_chars=10)


@pytest.mark.parametrize(
    "document",
    [
        {"data": [{"id": "x" * 10, "n": MAX_SAFE_NUMBER, "f": -1.5, "b": True, "z": None}]},
        [[[[[[[[1]]]]]]]],
        "short",
        MAX_SAFE_NUMBER,
    ],
)
def test_within_limits_passes(document: Any) -> None:
    check(document)


@pytest.mark.parametrize(
    ("document", "error", "path"),
    [
        ([[[[[[[[[1]]]]]]]]], TooDeepError, "$[0][0][0][0][0][0][0][0]"),
        ({"data": [{"sensor": "x" * 11}]}, StringTooLongError, "$.data[0].sensor"),
        ({"k" * 11: 1}, StringTooLongError, "$"),
        ("x" * 11, StringTooLongError, "$"),
        ({"v": [1, MAX_SAFE_NUMBER + 1]}, NumberOutOfRangeError, "$.v[1]"),
        ({"v": -1e300}, NumberOutOfRangeError, "$.v"),
        (2**70, NumberOutOfRangeError, "$"),
    ],
)
def test_each_limit_names_the_culprit(document: Any, error: type[IngestError], path: str) -> None:
    with pytest.raises(error) as caught:
        check(document)
    assert caught.value.status == 400
    assert caught.value.path == path


def test_hostile_depth_is_iterative_not_recursive() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(TooDeepError):
        check_document(deep, max_depth=32, max_string_chars=10)
