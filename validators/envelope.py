"""Validate a whole Caliper envelope: dispatch each item of `data` by its type.

The fast path is a compiled schema check plus the cheap semantic checks; only
an item that fails is explained in full by jsonschema. Dispatching by `type`
(rather than a top-level anyOf) is what makes the explanations precise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

import fastjsonschema
from jsonschema.exceptions import ValidationError

from validators.caliper import caliper_event_issues
from validators.errors import ValidationIssue, echo, join_path
from validators.explain import explain_errors
from validators.result import ValidationResult
from validators.schema_store import SchemaDocument, envelope_document, shared_document
from validators.timeback import normalize, timeback_issues
from validators.vocabulary import TIMEBACK_ACTIONS, TIMEBACK_PROFILE

DEFAULT_MAX_EVENTS: Final = 1000
DEFAULT_MAX_ERRORS: Final = 100

SemanticCheck = Callable[[dict[str, Any], int, str], list[ValidationIssue]]


def _no_semantic_checks(item: dict[str, Any], index: int, base: str) -> list[ValidationIssue]:
    return []


class EnvelopeValidator:
    """Build once, reuse everywhere: schemas are compiled on first use and cached."""

    def __init__(
        self, *, max_events: int = DEFAULT_MAX_EVENTS, max_errors: int = DEFAULT_MAX_ERRORS
    ) -> None:
        if max_events < 1 or max_errors < 1:
            raise ValueError("max_events and max_errors must be at least 1")
        self.max_events = max_events
        self.max_errors = max_errors
        self._envelope = envelope_document(max_events)
        self._timeback = shared_document("timeback.schema.json", inline=True)
        self._caliper = shared_document("caliper.schema.json")
        self.event_types: frozenset[str] = frozenset(
            self._caliper.definitions["EventTypes"]["enum"]
        )
        self.entity_types: frozenset[str] = frozenset(
            self._caliper.definitions["EntityTypes"]["enum"]
        )

    def warm_up(self) -> None:
        """Compile every fast validator now rather than on first use (about two seconds
        for the generic Caliper types): a server calls this before taking traffic."""
        self._envelope.fast()
        for kind in TIMEBACK_ACTIONS:
            self._timeback.fast(kind)
        self._caliper.fast("Event")

    def validate(self, envelope: Any) -> ValidationResult:
        issues: list[ValidationIssue] = []
        if not self._envelope.is_valid(envelope):
            issues.extend(_with_item_index(self._envelope.explain(envelope)))
        data = envelope.get("data") if isinstance(envelope, dict) else None
        if not isinstance(data, list) or len(data) > self.max_events:
            # Nothing to dispatch, or more than we agreed to spend work on.
            return self._result(issues, [])
        for index, item in enumerate(data):
            if isinstance(item, dict):
                issues.extend(self.item_issues(item, index))
        issues.extend(self._duplicate_event_ids(data))
        return self._result(issues, data)

    def item_issues(self, item: dict[str, Any], index: int) -> list[ValidationIssue]:
        """All problems of one item of `data` (an event or an entity)."""
        base = f"$.data[{index}]"
        kind = item.get("type")
        if kind is None:
            return [_issue(index, base, "type", "missing_field", "type is required")]
        if not isinstance(kind, str):
            return [_issue(index, base, "type", "wrong_type", "type must be a string")]
        document, check = self._route(kind, item.get("profile"))
        if document is None:
            if item.get("profile") == TIMEBACK_PROFILE:
                return [
                    _issue(
                        index,
                        base,
                        "type",
                        "profile_type_mismatch",
                        "TimebackProfile covers ActivityEvent and TimeSpentEvent, "
                        f"found {echo(kind)}",
                    )
                ]
            return [
                _issue(
                    index,
                    base,
                    "type",
                    "unknown_type",
                    f"{echo(kind)} is not a Timeback or Caliper 1.2 event or entity type",
                )
            ]
        semantic = check(item, index, base)
        try:
            document.fast(kind)(item)
        except fastjsonschema.JsonSchemaException as fast_error:
            explained = list(explain_errors(document.explain(item, kind), index=index, base=base))
            if not explained:
                # The two validators disagree; never answer "invalid" without a reason.
                explained = [
                    ValidationIssue(index, base, "invalid_item", f"{kind}: {str(fast_error)[:200]}")
                ]
            return _unique(explained + semantic)
        return semantic

    def _route(self, kind: str, profile: object) -> tuple[SchemaDocument | None, SemanticCheck]:
        if kind in TIMEBACK_ACTIONS:
            return self._timeback, timeback_issues
        if profile == TIMEBACK_PROFILE:
            return None, _no_semantic_checks
        if kind in self.event_types:
            return self._caliper, caliper_event_issues
        if kind in self.entity_types:
            return self._caliper, _no_semantic_checks
        return None, _no_semantic_checks

    def _duplicate_event_ids(self, data: list[Any]) -> list[ValidationIssue]:
        """Two events with one id in an envelope are an error. Entities may repeat an id:
        they describe a resource, and the IMS term envelopes list one entity several times."""
        issues: list[ValidationIssue] = []
        first_seen: dict[str, int] = {}
        for index, item in enumerate(data):
            kind = item.get("type") if isinstance(item, dict) else None
            if not isinstance(kind, str) or kind in self.entity_types:
                continue
            item_id = item.get("id")
            if not isinstance(item_id, str):
                continue
            if item_id in first_seen:
                issues.append(
                    _issue(
                        index,
                        f"$.data[{index}]",
                        "id",
                        "duplicate_id",
                        f"id is already used by data[{first_seen[item_id]}]; "
                        "each event needs its own id",
                    )
                )
            else:
                first_seen[item_id] = index
        return issues

    def _result(self, issues: list[ValidationIssue], data: list[Any]) -> ValidationResult:
        if not issues:
            for item in data:
                normalize(item)
            return ValidationResult(valid=True, events=data)
        if len(issues) > self.max_errors:
            cut = len(issues) - self.max_errors
            issues = issues[: self.max_errors]
            issues.append(
                ValidationIssue(
                    None,
                    "$",
                    "errors_truncated",
                    f"{cut} more error(s) not shown; the list is capped at {self.max_errors}",
                )
            )
        return ValidationResult(valid=False, errors=issues)


def _issue(index: int, base: str, name: str, code: str, message: str) -> ValidationIssue:
    return ValidationIssue(index, join_path(base, name), code, message)


def _with_item_index(errors: Iterable[ValidationError]) -> list[ValidationIssue]:
    """Envelope-level errors that point into `data[i]` belong to item i."""
    issues: list[ValidationIssue] = []
    for error in errors:
        path = list(error.absolute_path)
        index = (
            path[1] if len(path) > 1 and path[0] == "data" and isinstance(path[1], int) else None
        )
        issues.extend(explain_errors([error], index=index, base="$"))
    return _unique(issues)


def _unique(issues: list[ValidationIssue]) -> list[ValidationIssue]:
    return list(dict.fromkeys(issues))
