"""Validate a whole Caliper envelope: dispatch each item of `data` by its type.

The fast path is a compiled schema check (jsonschema-rs or fastjsonschema, see
validators/engines.py) plus the cheap semantic checks; only an item that fails is
explained in full by jsonschema, so the errors are the same whichever engine found
it. Dispatching by `type` (rather than a top-level anyOf) is what makes the
explanations precise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

from jsonschema.exceptions import ValidationError

from validators.caliper import caliper_event_issues
from validators.engines import DEFAULT_ENGINE, Engine, Verdict, resolve
from validators.errors import ValidationIssue, echo, join_path
from validators.explain import explain_errors
from validators.limits import DocumentLimits
from validators.result import ValidationResult
from validators.schema_store import SchemaDocument, envelope_document, shared_document
from validators.screen import EnvelopeScreen
from validators.timeback import normalize, timeback_issues
from validators.times import TimeBounds, TimeWindow
from validators.vocabulary import TIMEBACK_ACTIONS, TIMEBACK_PROFILE

DEFAULT_MAX_EVENTS: Final = 1000
DEFAULT_MAX_ERRORS: Final = 100

SemanticCheck = Callable[[dict[str, Any], int, str], list[ValidationIssue]]


def _no_semantic_checks(item: dict[str, Any], index: int, base: str) -> list[ValidationIssue]:
    return []


class EnvelopeValidator:
    """Build once, reuse everywhere: schemas are compiled on first use and cached.

    `engine` picks the hot path's validator; "rust" falls back to "python" (logged
    once) where jsonschema-rs is not installed, and `self.engine` says which runs.
    With `limits`, `validate` first raises DocumentLimitError for a document that
    breaks one; on the Rust engine a Timeback envelope is then screened in one native
    pass (validators/screen.py) and only one the screen refuses takes the full path."""

    def __init__(
        self,
        *,
        max_events: int = DEFAULT_MAX_EVENTS,
        max_errors: int = DEFAULT_MAX_ERRORS,
        engine: Engine = DEFAULT_ENGINE,
        time_bounds: TimeBounds | None = None,
        limits: DocumentLimits | None = None,
    ) -> None:
        if max_events < 1 or max_errors < 1:
            raise ValueError("max_events and max_errors must be at least 1")
        self.max_events = max_events
        self.max_errors = max_errors
        self.engine: Engine = resolve(engine)
        self.time_bounds = time_bounds or TimeBounds()
        self.limits = limits
        self.screen: EnvelopeScreen | None = None
        if limits is not None and self.engine == "rust":
            self.screen = EnvelopeScreen(
                max_events=max_events,
                max_depth=limits.max_depth,
                max_string_chars=limits.max_string_chars,
            )
        self._envelope = envelope_document(max_events)
        self._envelope_valid = self._envelope.verdict(None, self.engine)
        self._verdicts: dict[str, Verdict] = {}
        self._timeback = shared_document("timeback.schema.json", inline=True)
        self._caliper = shared_document("caliper.schema.json")
        self.event_types: frozenset[str] = frozenset(
            self._caliper.definitions["EventTypes"]["enum"]
        )
        self.entity_types: frozenset[str] = frozenset(
            self._caliper.definitions["EntityTypes"]["enum"]
        )
        # type -> (document, semantic checks, whether TimebackProfile is allowed, whether
        # it is an event with an eventTime): one lookup per item on the hot path.
        self._routes: dict[str, tuple[SchemaDocument, SemanticCheck, bool, bool]] = {
            **dict.fromkeys(self.entity_types, (self._caliper, _no_semantic_checks, False, False)),
            **dict.fromkeys(self.event_types, (self._caliper, caliper_event_issues, False, True)),
            **dict.fromkeys(TIMEBACK_ACTIONS, (self._timeback, timeback_issues, True, True)),
        }

    def warm_up(self) -> None:
        """Compile every fast validator now rather than on first use (about two seconds
        for the generic Caliper types): a server calls this before taking traffic."""
        for kind in TIMEBACK_ACTIONS:
            self.schema_verdict(kind)
        if self.engine == "python":
            self._caliper.fast("Event")  # one module holds every Caliper definition
        else:
            for kind in sorted(self.event_types | self.entity_types):
                self.schema_verdict(kind)

    def validate(self, envelope: Any) -> ValidationResult:
        """Every problem of `envelope`, or its events, normalized, when it has none."""
        window = TimeWindow.at(self.time_bounds, self.time_bounds.clock())
        if self.screen is not None:
            events = self.screen.events(envelope, window)
            if events is not None:
                return ValidationResult(valid=True, events=events)
        if self.limits is not None:
            self.limits.check(envelope)
        return self._validate_in_full(envelope, window)

    def _validate_in_full(self, envelope: Any, window: TimeWindow) -> ValidationResult:
        issues: list[ValidationIssue] = []
        if not self._envelope_valid(envelope):
            issues.extend(_with_item_index(self._envelope.explain(envelope)))
        if isinstance(envelope, dict):
            sent = window.issue(envelope.get("sendTime"), None, "$.sendTime", "sendTime")
            if sent is not None:
                issues.append(sent)
        data = envelope.get("data") if isinstance(envelope, dict) else None
        if not isinstance(data, list) or len(data) > self.max_events:
            # Nothing to dispatch, or more than we agreed to spend work on.
            return self._result(issues, [])
        for index, item in enumerate(data):
            if isinstance(item, dict):
                issues.extend(self.item_issues(item, index, window))
        issues.extend(self._duplicate_event_ids(data))
        return self._result(issues, data)

    def item_issues(
        self, item: dict[str, Any], index: int, window: TimeWindow | None = None
    ) -> list[ValidationIssue]:
        """All problems of one item of `data` (an event or an entity); `window` holds the
        time bounds at the server's clock (read once per envelope; now when None)."""
        base = f"$.data[{index}]"
        kind = item.get("type")
        if (
            not isinstance(kind, str)
            or (route := self._routes.get(kind)) is None
            or (not route[2] and item.get("profile") == TIMEBACK_PROFILE)
        ):
            return self._unroutable(item, index, base)
        document, check, _, is_event = route
        semantic = check(item, index, base)
        if is_event:
            window = window or TimeWindow.at(self.time_bounds, self.time_bounds.clock())
            problem = window.issue(item.get("eventTime"), index, f"{base}.eventTime", "eventTime")
            if problem is not None:
                semantic.append(problem)
        if self.schema_verdict(kind)(item):
            return semantic
        explained = list(explain_errors(document.explain(item, kind), index=index, base=base))
        if not explained:
            # The engine and the explainer disagree; never answer "invalid" without a reason.
            reason = document.engine_reason(item, kind, self.engine)
            explained = [ValidationIssue(index, base, "invalid_item", f"{kind}: {reason[:200]}")]
        return _unique(explained + semantic)

    def schema_verdict(self, kind: str) -> Verdict:
        """The engine's compiled check of one event or entity type (a key of the routes)."""
        verdict = self._verdicts.get(kind)
        if verdict is None:
            document = self._routes[kind][0]
            verdict = self._verdicts[kind] = document.verdict(kind, self.engine)
        return verdict

    def _unroutable(self, item: dict[str, Any], index: int, base: str) -> list[ValidationIssue]:
        """An item no schema is for: why, in one issue."""
        kind = item.get("type")
        if kind is None:
            return [_issue(index, base, "type", "missing_field", "type is required")]
        if not isinstance(kind, str):
            return [_issue(index, base, "type", "wrong_type", "type must be a string")]
        if item.get("profile") == TIMEBACK_PROFILE:
            return [
                _issue(
                    index,
                    base,
                    "type",
                    "profile_type_mismatch",
                    f"TimebackProfile covers ActivityEvent and TimeSpentEvent, found {echo(kind)}",
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
