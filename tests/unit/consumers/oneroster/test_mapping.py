"""The pure mapping: every metric combination, attempts, both object id forms, skips."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import orjson
import pytest

from consumers.oneroster import mapping
from consumers.oneroster.errors import MalformedRecordError
from consumers.oneroster.mapping import ResultPlan, Skip

ROSTER = "https://api.alpha-1edtech.ai/ims/oneroster/rostering/v1p2"
RESOURCE_URL = f"{ROSTER}/courses/component-resources/res-789"
APP_URL = "https://app.example.com/activities/42"
METRIC_VALUES = {"totalQuestions": 10, "correctQuestions": 8, "xpEarned": 12.5, "masteredUnits": 2}


def event(
    *,
    items: list[dict[str, Any]] | None = None,
    attempt: int | None = None,
    object_id: str = RESOURCE_URL,
    **object_fields: Any,
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": object_id,
        "type": "TimebackActivityContext",
        "subject": "Math",
        "activity": {"name": "Quiz 5"},
        "course": {"id": f"{ROSTER}/courses/course-1", "name": "Math G3"},
        "process": True,
    }
    obj.update(object_fields)
    generated: dict[str, Any] = {
        "id": "urn:uuid:0b8e3d43-3f7b-4bc5-9c7e-d4e0e0f1a001",
        "type": "TimebackActivityMetricsCollection",
        "items": items if items is not None else [],
    }
    if attempt is not None:
        generated["attempt"] = attempt
    return {
        "id": "urn:uuid:c51570e4-f8ed-4c18-bb3a-dfe51b2cc594",
        "eventTime": "2026-04-24T14:12:00.000Z",
        "profile": "TimebackProfile",
        "type": "ActivityEvent",
        "action": "Completed",
        "actor": {"id": f"{ROSTER}/users/stu-1", "type": "TimebackUser", "email": "s@x.org"},
        "object": obj,
        "generated": generated,
    }


def planned(evt: dict[str, Any], sensor: str = "https://app.example.com") -> ResultPlan:
    result = mapping.plan({"sensor": sensor, "event": evt})
    assert isinstance(result, ResultPlan)
    return result


COMBINATIONS = [
    combo
    for size in range(len(METRIC_VALUES) + 1)
    for combo in itertools.combinations(METRIC_VALUES, size)
]


@pytest.mark.parametrize("present", COMBINATIONS, ids=lambda c: "+".join(c) or "none")
def test_every_metric_combination(present: tuple[str, ...]) -> None:
    items = [{"type": kind, "value": METRIC_VALUES[kind]} for kind in present]
    result = planned(event(items=items)).result.body
    counted = "totalQuestions" in present and "correctQuestions" in present
    assert result["score"] == (80.0 if counted else None)
    metadata = result["metadata"]
    expected = {
        "xp": 12.5 if "xpEarned" in present else None,
        "totalQuestions": 10 if "totalQuestions" in present else None,
        "correctQuestions": 8 if "correctQuestions" in present else None,
        "masteredUnits": 2 if "masteredUnits" in present else None,
        "accuracy": 80.0 if counted else None,
    }
    assert {key: metadata.get(key) for key in expected} == expected
    assert metadata["attempt"] == 1
    assert metadata["eventId"] == "urn:uuid:c51570e4-f8ed-4c18-bb3a-dfe51b2cc594"
    assert metadata["sensor"] == "https://app.example.com"
    assert result["scoreStatus"] == "fully graded"
    assert result["scoreDate"] == "2026-04-24T14:12:00.000Z"
    assert result["student"] == {"sourcedId": "stu-1"}
    assert result["status"] == "active"


@pytest.mark.parametrize(
    ("total", "correct", "score"),
    [(0, 0, None), (3, 2, 2 / 3 * 100), (10.0, 10.0, 100.0), (4, 0, 0.0)],
)
def test_score_edges(total: float, correct: float, score: float | None) -> None:
    items = [
        {"type": "totalQuestions", "value": total},
        {"type": "correctQuestions", "value": correct},
    ]
    body = planned(event(items=items)).result.body
    assert body["score"] == score
    assert isinstance(body["metadata"]["totalQuestions"], int)


def test_attempts_name_distinct_results_and_repeats_overwrite() -> None:
    first, default = planned(event(attempt=1)), planned(event())
    second, again = planned(event(attempt=2)), planned(event(attempt=2))
    assert first.result.sourced_id == default.result.sourced_id
    assert second.result.sourced_id != first.result.sourced_id
    assert again.result.sourced_id == second.result.sourced_id
    assert second.line_item.sourced_id == first.line_item.sourced_id
    assert second.result.body["metadata"]["attempt"] == 2


def test_ids_are_uuid5_of_the_object_and_student() -> None:
    plan = planned(event())
    item_id = str(uuid.uuid5(uuid.NAMESPACE_URL, RESOURCE_URL))
    assert plan.line_item.sourced_id == item_id
    assert plan.result.sourced_id == str(uuid.uuid5(uuid.UUID(item_id), "stu-1/1"))
    assert plan.result.body["assessmentLineItem"] == {"sourcedId": item_id}
    assert plan.line_item.path == f"/ims/oneroster/gradebook/v1p2/assessmentLineItems/{item_id}"
    other = planned({**event(), "actor": {"id": f"{ROSTER}/users/stu-2"}})
    assert other.result.sourced_id != plan.result.sourced_id


def test_component_resource_object_id() -> None:
    body = planned(event()).line_item.body
    assert body["componentResource"] == {"sourcedId": "res-789"}
    assert body["course"] == {"sourcedId": "course-1"}
    assert body["title"] == "Quiz 5"
    assert body["metadata"]["activityId"] == RESOURCE_URL


def test_app_object_id_has_no_component_resource() -> None:
    body = planned(event(object_id=APP_URL)).line_item.body
    assert "componentResource" not in body
    assert body["course"] == {"sourcedId": "course-1"}


@pytest.mark.parametrize(
    ("course", "expected"),
    [
        ({"id": f"{ROSTER}/courses/c-9"}, "c-9"),
        ({"id": f"{ROSTER}/courses/c-9/"}, "c-9"),
        ({"id": f"{ROSTER}/courses/component-resources"}, None),
        ({"id": "https://app.example.com/my-course"}, None),
        ({"code": "hist8", "name": "hist8"}, None),
        (None, None),
    ],
)
def test_course_only_from_a_oneroster_course_url(course: Any, expected: str | None) -> None:
    body = planned(event(course=course)).line_item.body
    assert body.get("course") == ({"sourcedId": expected} if expected else None)


@pytest.mark.parametrize("activity", [None, {}, {"name": ""}, {"name": "  "}, {"id": "x"}])
def test_title_falls_back_to_the_object_id(activity: Any) -> None:
    assert planned(event(activity=activity)).line_item.body["title"] == RESOURCE_URL


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"type": "TimeSpentEvent"}, "not_activity"),
        ({"object": {"id": APP_URL, "process": False}}, "not_processed"),
        ({"object": {"id": APP_URL}}, "not_processed"),
        ({"object": "https://app.example.com/x"}, "not_processed"),
    ],
)
def test_skips(change: dict[str, Any], reason: str) -> None:
    assert mapping.plan({"event": {**event(), **change}}) == Skip(reason)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"actor": {"id": "https://x.org/people/1"}}, "no_student"),
        ({"actor": "urn:x"}, "no_student"),
        ({"eventTime": None}, "malformed_event"),
        ({"generated": {"attempt": 0, "items": []}}, "bad_attempt"),
        ({"generated": {"attempt": "2", "items": []}}, "bad_attempt"),
        ({"generated": {"attempt": True, "items": []}}, "bad_attempt"),
    ],
)
def test_malformed_events(change: dict[str, Any], code: str) -> None:
    with pytest.raises(MalformedRecordError) as caught:
        mapping.plan({"event": {**event(), **change}})
    assert caught.value.code == code


@pytest.mark.parametrize("value", [None, b"not json", b"[]", b'{"event": 3}', b'{"sensor": "x"}'])
def test_undecodable_values(value: bytes | None) -> None:
    with pytest.raises(MalformedRecordError):
        mapping.decode(value)


def test_decode_reads_the_front_door_layout() -> None:
    value = orjson.dumps({"sensor": "s", "sendTime": "t", "receivedTime": "r", "event": event()})
    assert isinstance(mapping.plan(mapping.decode(value)), ResultPlan)


def test_metric_items_of_other_shapes_are_ignored() -> None:
    items: list[Any] = [
        {"type": "pctComplete", "value": 100},
        {"type": ["odd"], "value": 1},
        "junk",
        {"type": "xpEarned", "value": True},
        {"type": "xpEarned", "value": -5},
    ]
    assert planned(event(items=items)).result.body["metadata"]["xp"] == -5
