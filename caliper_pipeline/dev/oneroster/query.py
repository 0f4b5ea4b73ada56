"""OneRoster list parameters: `filter` (with AND / OR), `sort`/`orderBy`, `limit`/`offset`."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

MAX_LIMIT: Final = 3000
DEFAULT_LIMIT: Final = 100

# field, operator, quoted value; dotted fields reach into references (student.sourcedId).
_PREDICATE: Final = re.compile(r"\s*([A-Za-z_][\w.]*)\s*(!=|>=|<=|=|>|<|~|@)\s*'([^']*)'\s*")
_JOINER: Final = re.compile(r"\s+(AND|OR)\s+")

Predicate = Callable[[Mapping[str, Any]], bool]


class QueryError(ValueError):
    """A filter, sort or paging parameter the server cannot apply."""

    def __init__(self, message: str, code_minor: str) -> None:
        super().__init__(message)
        self.code_minor = code_minor


def lookup(obj: Mapping[str, Any], dotted: str) -> Any:
    current: Any = obj
    for part in dotted.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def _compare(actual: Any, op: str, expected: str) -> bool:
    if actual is None:
        return op == "!="
    text = str(actual).lower() if isinstance(actual, bool) else str(actual)
    if op == "~":
        return expected.lower() in text.lower()
    if op == "@":
        return text in [part.strip() for part in expected.split(",")]
    left: Any = text
    right: Any = expected
    if isinstance(actual, int | float) and not isinstance(actual, bool):
        with contextlib.suppress(ValueError):
            left, right = float(actual), float(expected)
    result: bool = {
        "=": left == right,
        "!=": left != right,
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
    }[op]
    return result


def parse_filter(expression: str | None) -> Predicate:
    """OR of ANDs (AND binds tighter), as 1EdTech's filter grammar reads."""
    if not expression or not expression.strip():
        return lambda _obj: True
    parts = _JOINER.split(expression.strip())
    terms, joiners = parts[0::2], parts[1::2]
    predicates: list[tuple[str, str, str]] = []
    for term in terms:
        match = _PREDICATE.fullmatch(term)
        if match is None:
            raise QueryError(f"cannot read filter term {term!r}", "invalid_filter_field")
        field, op, value = match.groups()
        predicates.append((field, op, value))
    groups: list[list[tuple[str, str, str]]] = [[predicates[0]]]
    for joiner, predicate in zip(joiners, predicates[1:], strict=True):
        if joiner == "AND":
            groups[-1].append(predicate)
        else:
            groups.append([predicate])

    def matches(obj: Mapping[str, Any]) -> bool:
        return any(all(_compare(lookup(obj, f), op, v) for f, op, v in group) for group in groups)

    return matches


def page(
    items: list[dict[str, Any]], params: Mapping[str, str]
) -> tuple[list[dict[str, Any]], int, int, int]:
    """(the page, total matching, limit, offset)."""
    predicate = parse_filter(params.get("filter"))
    try:
        limit = int(params.get("limit", DEFAULT_LIMIT))
        offset = int(params.get("offset", 0))
    except ValueError:
        raise QueryError("limit and offset must be integers", "invalid_data") from None
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise QueryError(f"limit must be 1..{MAX_LIMIT} and offset >= 0", "invalid_data")
    selected = [item for item in items if predicate(item)]
    sort = params.get("sort")
    if sort:
        selected.sort(
            key=lambda item: (lookup(item, sort) is None, str(lookup(item, sort))),
            reverse=params.get("orderBy", "asc").lower() == "desc",
        )
    return selected[offset : offset + limit], len(selected), limit, offset
