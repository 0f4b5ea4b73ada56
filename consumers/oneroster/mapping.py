"""Map one `caliper.events` record to the two OneRoster writes: pure functions, no I/O.

Ids are UUIDv5, so the same activity always names the same line item and the same
(student, activity, attempt) always names the same result: a redelivered event
overwrites itself, a repeated attempt overwrites the previous one, a new attempt
gets a new result.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote

import orjson

from consumers.oneroster.errors import MalformedRecordError
from validators.formats import oneroster_user_sourced_id

GRADEBOOK_PATH: Final = "/ims/oneroster/gradebook/v1p2"
SCORE_STATUS: Final = "fully graded"

_COMPONENT_RESOURCE_URL: Final = re.compile(
    r"https?://\S+/courses/component-resources/([^/\s?#]+)/?"
)
_COURSE_URL: Final = re.compile(r"https?://\S+/courses/([^/\s?#]+)/?")
# Path segments under /courses/ that name sub-collections, not a course.
_NOT_COURSE_IDS: Final = frozenset({"component-resources", "components"})
# Metric item type -> result metadata key (the names public integration guides use).
_METRICS: Final = {
    "xpEarned": "xp",
    "totalQuestions": "totalQuestions",
    "correctQuestions": "correctQuestions",
    "masteredUnits": "masteredUnits",
}


@dataclass(frozen=True, slots=True)
class Skip:
    """A well-formed record that is not for this writer."""

    reason: str  # not_activity | not_processed


@dataclass(frozen=True, slots=True)
class Write:
    """One idempotent PUT."""

    collection: str  # assessmentLineItems | assessmentResults
    sourced_id: str
    body: dict[str, Any]

    @property
    def path(self) -> str:
        return f"{GRADEBOOK_PATH}/{self.collection}/{self.sourced_id}"


@dataclass(frozen=True, slots=True)
class ResultPlan:
    """The line item first (the result refers to it), then the result."""

    student: str
    line_item: Write
    result: Write


def line_item_id(object_id: str) -> str:
    # object.id is a URL, so the standard URL namespace applies and anyone can recompute it.
    return str(uuid.uuid5(uuid.NAMESPACE_URL, object_id))


def result_id(line_item: str, student: str, attempt: int) -> str:
    # Namespaced by the line item: (student, attempt) is unique within one activity.
    return str(uuid.uuid5(uuid.UUID(line_item), f"{student}/{attempt}"))


def student_of(actor_id: object) -> str | None:
    raw = oneroster_user_sourced_id(actor_id)
    return unquote(raw) if raw is not None else None


def component_resource_of(object_id: str) -> str | None:
    match = _COMPONENT_RESOURCE_URL.fullmatch(object_id)
    return unquote(match[1]) if match else None


def course_of(course_id: object) -> str | None:
    match = _COURSE_URL.fullmatch(course_id) if isinstance(course_id, str) else None
    if match is None or match[1] in _NOT_COURSE_IDS:
        return None
    return unquote(match[1])


def decode(value: bytes | None) -> dict[str, Any]:
    """The record value as the front door wrote it (record-version 1)."""
    if value is None:
        raise MalformedRecordError("record has no value", code="malformed_record")
    try:
        decoded = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise MalformedRecordError(f"value is not JSON: {exc}", code="malformed_record") from None
    if not isinstance(decoded, dict) or not isinstance(decoded.get("event"), dict):
        raise MalformedRecordError("value has no `event` object", code="malformed_record")
    return decoded


def plan(value: Mapping[str, Any]) -> ResultPlan | Skip:
    """The writes for one decoded record value, or why there are none."""
    event = value["event"]
    if event.get("type") != "ActivityEvent":
        return Skip("not_activity")
    obj = event.get("object")
    if not isinstance(obj, dict) or obj.get("process") is not True:
        return Skip("not_processed")
    student = student_of(_get(event, "actor", "id"))
    object_id, event_time = obj.get("id"), event.get("eventTime")
    if student is None:
        raise MalformedRecordError("actor.id is not a OneRoster users URL", code="no_student")
    if not isinstance(object_id, str) or not object_id:
        raise MalformedRecordError("object.id is missing", code="malformed_event")
    if not isinstance(event_time, str):
        raise MalformedRecordError("eventTime is missing", code="malformed_event")
    generated = event.get("generated")
    generated = generated if isinstance(generated, dict) else {}
    attempt = generated.get("attempt", 1)
    if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 1:
        raise MalformedRecordError(
            "generated.attempt is not a positive integer", code="bad_attempt"
        )

    item_id = line_item_id(object_id)
    line_item = Write("assessmentLineItems", item_id, _line_item_body(item_id, object_id, obj))
    rid = result_id(item_id, student, attempt)
    metrics = _metrics(generated.get("items"))
    result_body = _result_body(rid, item_id, student, event_time, metrics)
    result_body["metadata"].update(
        {"attempt": attempt, "eventId": event.get("id"), "sensor": value.get("sensor")}
    )
    return ResultPlan(student, line_item, Write("assessmentResults", rid, result_body))


def _line_item_body(item_id: str, object_id: str, obj: Mapping[str, Any]) -> dict[str, Any]:
    name = _get(obj, "activity", "name")
    body: dict[str, Any] = {
        "sourcedId": item_id,
        "status": "active",
        "title": name if isinstance(name, str) and name.strip() else object_id,
        "metadata": {"activityId": object_id, "subject": obj.get("subject")},
    }
    course = course_of(_get(obj, "course", "id"))
    if course is not None:
        body["course"] = {"sourcedId": course}
    resource = component_resource_of(object_id)
    if resource is not None:
        # Timeback's proprietary AssessmentLineItem extension (seed 002).
        body["componentResource"] = {"sourcedId": resource}
    return body


def _metrics(items: object) -> dict[str, int | float]:
    found: dict[str, int | float] = {}
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict):
            continue
        kind, value = item.get("type"), item.get("value")
        key = _METRICS.get(kind) if isinstance(kind, str) else None
        if key is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        # Counts arrive as 10 or 10.0; store whole numbers as integers.
        found[key] = int(value) if key != "xp" and float(value).is_integer() else value
    return found


def score_of(metrics: Mapping[str, int | float]) -> float | None:
    """correct / total x 100 when questions were counted; null otherwise (and for 0 of 0)."""
    correct, total = metrics.get("correctQuestions"), metrics.get("totalQuestions")
    if correct is None or total is None or total <= 0:
        return None
    return correct / total * 100


def _result_body(
    rid: str, item_id: str, student: str, event_time: str, metrics: dict[str, int | float]
) -> dict[str, Any]:
    score = score_of(metrics)
    metadata: dict[str, Any] = dict(metrics)
    if score is not None:
        metadata["accuracy"] = score
    return {
        "sourcedId": rid,
        "status": "active",
        "assessmentLineItem": {"sourcedId": item_id},
        "student": {"sourcedId": student},
        "score": score,
        "scoreStatus": SCORE_STATUS,
        "scoreDate": event_time,
        "metadata": metadata,
    }


def _get(mapping: Mapping[str, Any], *keys: str) -> object:
    current: object = mapping
    for key in keys:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current
