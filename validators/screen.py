"""The hot path: is this an envelope of Timeback events that the full path would accept?

One jsonschema-rs schema holds the envelope, both Timeback event types (chosen by the
item's `type`, as the validator dispatches), the document limits folded into their
nodes (validators/limits_schema.py), and the profile rules a schema can state (count
metrics are whole numbers of at least 0, `process: true` needs a OneRoster users URL).
A short Python pass then makes the checks no schema can: time bounds at the server's
clock, `correctQuestions <= totalQuestions`, one metric per type, one id per event.
So a valid envelope is walked once in native code, not once for the limits, once for
the envelope and once per event behind a Python call each.

The screen may be stricter than the rules, never laxer: it says no to anything it
is unsure of (a generic Caliper event, snake_case beside camelCase, any problem),
and the full path (validators/envelope.py) then decides and explains.
tests/unit/validators/test_screen.py holds the two to the same verdicts.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from validators.engines import Verdict, compile_native
from validators.formats import USERS_URL, anchored
from validators.limits_schema import DRAFT, LimitFolder
from validators.schema_store import inline_local_refs, load_document, shared_document
from validators.timeback import COUNT_METRICS, SNAKE_TO_CAMEL, normalize
from validators.times import TimeWindow

# The envelope is depth 1, `data` depth 2, its items depth 3.
ITEM_DEPTH: Final = 3

_WHOLE_COUNTS: Final = {
    "if": {"required": ["type"], "properties": {"type": {"enum": sorted(COUNT_METRICS)}}},
    "then": {"properties": {"value": {"type": "integer", "minimum": 0}}},
}
# The same field in both spellings: the full path compares them.
_ONE_SPELLING: Final = {
    "not": {"anyOf": [{"required": [snake, camel]} for snake, camel in SNAKE_TO_CAMEL.items()]}
}
# The strict screen takes camelCase only: what passes it needs no renaming.
_CAMEL_ONLY: Final = {"not": {"anyOf": [{"required": [snake]} for snake in SNAKE_TO_CAMEL]}}
_PROCESS_NEEDS_USER: Final = {
    "if": {
        "required": ["object"],
        "properties": {
            "object": {"required": ["process"], "properties": {"process": {"const": True}}}
        },
    },
    "then": {"properties": {"actor": {"properties": {"id": {"pattern": anchored(USERS_URL)}}}}},
}


def _with_profile_rules(event: dict[str, Any], metric_rules: dict[str, Any]) -> dict[str, Any]:
    """The rules written into the folded event's own nodes: no second walk of it."""
    metric = event["properties"]["generated"]["properties"]["items"]["items"]
    assert not set(metric) & set(metric_rules)
    assert not set(event) & set(_PROCESS_NEEDS_USER)
    metric.update(metric_rules)
    event.update(_PROCESS_NEEDS_USER)
    return event


def screen_schema(
    *, max_events: int, max_depth: int, max_string_chars: int, strict: bool = False
) -> dict[str, Any]:
    """The whole-envelope schema the screen compiles (public for the tests). `strict`:
    only the properties the schema declares in its objects, camelCase metric fields."""
    folder = LimitFolder(max_depth=max_depth, max_chars=max_string_chars, closed=strict)
    timeback = shared_document("timeback.schema.json", inline=True).definitions

    def event(kind: str, metric_rules: dict[str, Any]) -> Any:
        folded = folder.fold(inline_local_refs(timeback[kind], timeback), ITEM_DEPTH)
        return _with_profile_rules(copy.deepcopy(folded), metric_rules)

    envelope = copy.deepcopy(load_document("envelope.schema.json"))
    envelope["properties"]["data"]["maxItems"] = max_events
    del envelope["$schema"]  # set again below; folding conjoins keywords it does not know
    root: dict[str, Any] = folder.fold(envelope, 1)
    root["properties"]["data"]["items"] = {
        "if": {"required": ["type"], "properties": {"type": {"const": "TimeSpentEvent"}}},
        "then": event("TimeSpentEvent", _CAMEL_ONLY if strict else _ONE_SPELLING),
        "else": event("ActivityEvent", _WHOLE_COUNTS),
    }
    root["$schema"] = DRAFT
    root["$defs"] = {**timeback, **folder.levels()}
    return root


class EnvelopeScreen:
    """Compiled once per validator: `events(envelope, window)` is the envelope's events,
    normalized, when it certainly has no problem, else None.

    Two native schemas: a strict one for the documented shape (no fields beyond those
    the schema names, camelCase only), tried first, then the open one, which takes the
    extra fields real clients send in `course` or `object` and the SDK's snake_case at
    the cost of a key-length check per open object and a renaming pass."""

    def __init__(self, *, max_events: int, max_depth: int, max_string_chars: int) -> None:
        schemas = [
            screen_schema(
                max_events=max_events,
                max_depth=max_depth,
                max_string_chars=max_string_chars,
                strict=strict,
            )
            for strict in (True, False)
        ]
        self.strict: Verdict = compile_native(schemas[0]).is_valid
        self.open: Verdict = compile_native(schemas[1]).is_valid

    def native(self, envelope: Any) -> bool:
        """The native part alone: whether either schema takes the envelope."""
        return bool(self.strict(envelope) or self.open(envelope))

    def events(self, envelope: Any, window: TimeWindow) -> list[dict[str, Any]] | None:
        camel_case = self.strict(envelope)
        if not camel_case and not self.open(envelope):
            return None
        # From here on the shape is known: every key below exists with its type, and
        # every time is an RFC 3339 date-time.
        data: list[dict[str, Any]] = envelope["data"]
        if window.issue(envelope["sendTime"], None, "$", "") is not None:
            return None
        earliest, latest = window.earliest_text, window.latest_text
        for event in data:
            moment: str = event["eventTime"]
            # Most clients send UTC: compared as text to the second, as TimeWindow does,
            # without a call per event; any other form goes the full way.
            plain_utc = moment[-1] == "Z" and moment[10] == "T"
            if not (plain_utc and earliest <= moment[:19] < latest) and window.issue(
                moment, None, "$", ""
            ):
                return None
            metrics = event["generated"]["items"]
            if event["type"] == "ActivityEvent":
                values = {metric["type"]: metric["value"] for metric in metrics}
                if len(values) != len(metrics):
                    return None  # a metric type twice
                correct = values.get("correctQuestions")
                if correct is not None and correct > values.get("totalQuestions", correct):
                    return None
            elif len(metrics) > 1:
                kinds = {(m["type"], m.get("subType", m.get("sub_type"))) for m in metrics}
                if len(kinds) != len(metrics):
                    return None
        if len({event["id"] for event in data}) != len(data):
            return None  # an id used twice
        if not camel_case:
            for event in data:  # only now: an envelope the full path takes must be as sent
                normalize(event)
        return data
