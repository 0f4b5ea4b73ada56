"""Timeback profile rules a JSON Schema cannot express, and the normalization of SDK spellings."""

from __future__ import annotations

import math
from typing import Any, Final

from validators.errors import ValidationIssue, echo, join_path
from validators.formats import is_oneroster_user_url

COUNT_METRICS: Final = frozenset({"totalQuestions", "correctQuestions", "masteredUnits"})

# The official Python SDK (timeback-caliper) sends these in snake_case.
SNAKE_TO_CAMEL: Final[dict[str, str]] = {
    "start_date": "startDate",
    "end_date": "endDate",
    "sub_type": "subType",
}
_SNAKE_KEYS: Final = frozenset(SNAKE_TO_CAMEL)


def timeback_issues(event: dict[str, Any], index: int, base: str) -> list[ValidationIssue]:
    """Cross-field checks; tolerant of malformed shapes, which the schema reports."""
    issues: list[ValidationIssue] = []
    generated = event.get("generated")
    items = generated.get("items") if isinstance(generated, dict) else None
    if isinstance(items, list):
        items_path = base + ".generated.items"
        if event.get("type") == "ActivityEvent":
            issues.extend(_activity_metric_issues(items, index, items_path))
        elif event.get("type") == "TimeSpentEvent":
            issues.extend(_time_metric_issues(items, index, items_path))
    obj = event.get("object")
    if isinstance(obj, dict) and obj.get("process") is True:
        actor = event.get("actor")
        actor_id = actor.get("id") if isinstance(actor, dict) else None
        if isinstance(actor_id, str) and not is_oneroster_user_url(actor_id):
            issues.append(
                ValidationIssue(
                    index,
                    join_path(base, "actor", "id"),
                    "process_requires_oneroster_user",
                    "object.process is true, so actor.id must be a OneRoster users URL "
                    "(.../users/{sourcedId}) to write the assessment result; "
                    f"found {echo(actor_id)}",
                )
            )
    return issues


def _activity_metric_issues(items: list[Any], index: int, path: str) -> list[ValidationIssue]:
    issues: list[ValidationIssue] = []
    seen: dict[str, int] = {}
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if not isinstance(kind, str):
            continue
        if kind in seen:
            issues.append(_duplicate(index, join_path(path, position, "type"), kind, seen[kind]))
            continue
        seen[kind] = position
        value = item.get("value")
        if value.__class__ is int and (value >= 0 or kind not in COUNT_METRICS):
            continue  # the common case, decided without a call (bool is not `int` here)
        problem = _metric_value_problem(kind, value)
        if problem:
            issues.append(
                ValidationIssue(
                    index, join_path(path, position, "value"), "invalid_metric_value", problem
                )
            )
    if "correctQuestions" not in seen or "totalQuestions" not in seen:
        return issues
    correct = items[seen["correctQuestions"]].get("value")
    total = items[seen["totalQuestions"]].get("value")
    if isinstance(correct, int | float) and isinstance(total, int | float) and correct > total:
        issues.append(
            ValidationIssue(
                index,
                join_path(path, seen["correctQuestions"], "value"),
                "correct_exceeds_total",
                f"correctQuestions ({echo(correct)}) cannot exceed totalQuestions ({echo(total)})",
            )
        )
    return issues


def _metric_value_problem(kind: str, value: object) -> str | None:
    """xpEarned is any finite number (negative corrections, decimals); the rest are counts."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None  # the schema reports a non-number
    if kind in COUNT_METRICS:
        if (isinstance(value, float) and not value.is_integer()) or value < 0:
            return f"{kind} must be a whole number of at least 0, found {echo(value)}"
    elif isinstance(value, float) and not math.isfinite(value):
        return f"{kind} must be a finite number"
    return None


def _time_metric_issues(items: list[Any], index: int, path: str) -> list[ValidationIssue]:
    issues: list[ValidationIssue] = []
    seen: dict[tuple[str, object], int] = {}
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        if not _SNAKE_KEYS.isdisjoint(item):
            issues.extend(_conflicts(item, index, join_path(path, position)))
        kind = item.get("type")
        if not isinstance(kind, str):
            continue
        sub_type = item.get("subType", item.get("sub_type"))
        key = (kind, sub_type if isinstance(sub_type, str) else None)
        if key in seen:
            label = kind if key[1] is None else f"{kind}/{key[1]}"
            issues.append(_duplicate(index, join_path(path, position, "type"), label, seen[key]))
        else:
            seen[key] = position
    return issues


def _conflicts(item: dict[str, Any], index: int, path: str) -> list[ValidationIssue]:
    return [
        ValidationIssue(
            index,
            join_path(path, snake),
            "conflicting_fields",
            f"{snake} and {camel} are the same field and disagree; send one",
        )
        for snake, camel in SNAKE_TO_CAMEL.items()
        if snake in item and camel in item and item[snake] != item[camel]
    ]


def _duplicate(index: int, path: str, label: str, first: int) -> ValidationIssue:
    return ValidationIssue(
        index,
        path,
        "duplicate_metric",
        f"metric {label} appears again (first at items[{first}]); send one item per metric",
    )


def normalize(event: dict[str, Any]) -> None:
    """Rename the SDK's snake_case metric fields to camelCase, in place (event is valid)."""
    if event.get("type") != "TimeSpentEvent":
        return
    for item in event["generated"]["items"]:
        if _SNAKE_KEYS.isdisjoint(item):
            continue  # camelCase already: one C-level check instead of three lookups
        for snake, camel in SNAKE_TO_CAMEL.items():
            if snake in item:
                item[camel] = item.pop(snake)
