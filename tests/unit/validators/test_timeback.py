"""One passing and one failing case for every Timeback rule, through the whole validator:
event rules (ids, times, actor, object) here, metric rules in timeback_metric_cases."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from tests.unit.validators.timeback_events import (
    Case,
    Event,
    Mutation,
    activity_event,
    check_case,
    deleter,
    envelope,
    setter,
    time_spent_event,
)
from tests.unit.validators.timeback_metric_cases import METRIC_CASES
from validators import EnvelopeValidator

# (rule, base event, mutation, expected code or None for "valid", expected path)
# (rule, base event, mutation, expected code or None for "valid", expected path)
EVENT_CASES: list[Case] = [
    (
        "uuid id ok",
        activity_event,
        setter("id", "urn:uuid:00000000-0000-4000-8000-00000000000a"),
        None,
        "",
    ),
    (
        "id not a uuid",
        activity_event,
        setter("id", "urn:uuid:not-a-uuid"),
        "invalid_event_id",
        "$.data[0].id",
    ),
    (
        "id without urn",
        activity_event,
        setter("id", "c51570e4-f8ed-4c18-bb3a-dfe51b2cc594"),
        "invalid_event_id",
        "$.data[0].id",
    ),
    (
        "eventTime whole seconds",
        activity_event,
        setter("eventTime", "2026-01-12T17:00:00Z"),
        None,
        "",
    ),
    (
        "eventTime microseconds",
        activity_event,
        setter("eventTime", "2024-03-15T14:30:00.000000Z"),
        None,
        "",
    ),
    (
        "eventTime offset",
        activity_event,
        setter("eventTime", "2024-03-15T14:30:00.5+02:00"),
        None,
        "",
    ),
    (
        "eventTime without offset",
        activity_event,
        setter("eventTime", "2024-03-15T14:30:00"),
        "invalid_datetime",
        "$.data[0].eventTime",
    ),
    (
        "eventTime impossible date",
        activity_event,
        setter("eventTime", "2024-02-30T00:00:00Z"),
        "invalid_datetime",
        "$.data[0].eventTime",
    ),
    (
        "profile other",
        activity_event,
        setter("profile", "GeneralProfile"),
        "profile_type_mismatch",
        "$.data[0].profile",
    ),
    ("profile missing", activity_event, deleter("profile"), "missing_field", "$.data[0].profile"),
    (
        "activity action",
        activity_event,
        setter("action", "Started"),
        "action_type_mismatch",
        "$.data[0].action",
    ),
    (
        "time action",
        time_spent_event,
        setter("action", "Completed"),
        "action_type_mismatch",
        "$.data[0].action",
    ),
    (
        "activity with time collection",
        activity_event,
        setter("generated.type", "TimebackTimeSpentMetricsCollection"),
        "collection_type_mismatch",
        "$.data[0].generated.type",
    ),
    (
        "time with activity collection",
        time_spent_event,
        setter("generated.type", "TimebackActivityMetricsCollection"),
        "collection_type_mismatch",
        "$.data[0].generated.type",
    ),
    (
        "actor id not a uri",
        activity_event,
        setter("actor.id", "student 1"),
        "invalid_uri",
        "$.data[0].actor.id",
    ),
    (
        "actor type",
        activity_event,
        setter("actor.type", "Person"),
        "invalid_value",
        "$.data[0].actor.type",
    ),
    (
        "actor email missing",
        activity_event,
        deleter("actor.email"),
        "missing_field",
        "$.data[0].actor.email",
    ),
    (
        "actor email malformed",
        activity_event,
        setter("actor.email", "not-an-email"),
        "invalid_email",
        "$.data[0].actor.email",
    ),
    (
        "object id space",
        activity_event,
        setter("object.id", "https://x.example/Social Studies/1"),
        "invalid_uri",
        "$.data[0].object.id",
    ),
    (
        "object type",
        activity_event,
        setter("object.type", "Activity"),
        "invalid_value",
        "$.data[0].object.type",
    ),
    ("subject FastMath", activity_event, setter("object.subject", "FastMath"), None, ""),
    ("subject Other", activity_event, setter("object.subject", "Other"), None, ""),
    (
        "subject unknown",
        activity_event,
        setter("object.subject", "Art"),
        "invalid_subject",
        "$.data[0].object.subject",
    ),
    ("course omitted", activity_event, deleter("object.course"), None, ""),
    ("activity omitted", time_spent_event, deleter("object.activity"), None, ""),
    (
        "course id not a uri",
        activity_event,
        setter("object.course.id", "MATH 3"),
        "invalid_uri",
        "$.data[0].object.course.id",
    ),
    (
        "activity id not a uri",
        activity_event,
        setter("object.activity.id", "quiz 1"),
        "invalid_uri",
        "$.data[0].object.activity.id",
    ),
    (
        "process not boolean",
        activity_event,
        setter("object.process", "yes"),
        "wrong_type",
        "$.data[0].object.process",
    ),
    ("process with users url", activity_event, setter("object.process", True), None, ""),
    (
        "process without users url",
        activity_event,
        lambda e: e.update(
            actor={
                "id": "https://app.example/students/1",
                "type": "TimebackUser",
                "email": "a@b.co",
            },
            object=e["object"] | {"process": True},
        ),
        "process_requires_oneroster_user",
        "$.data[0].actor.id",
    ),
]
CASES: list[Case] = EVENT_CASES + METRIC_CASES


@pytest.mark.parametrize(
    ("rule", "make", "mutate", "code", "path"), CASES, ids=[case[0] for case in CASES]
)
def test_timeback_rule(
    validator: EnvelopeValidator,
    rule: str,
    make: Callable[[], Event],
    mutate: Mutation,
    code: str | None,
    path: str,
) -> None:
    check_case(validator, make, mutate, code, path)


def test_both_base_events_are_valid(validator: EnvelopeValidator) -> None:
    assert validator.validate(
        envelope(
            activity_event(),
            time_spent_event() | {"id": "urn:uuid:00000000-0000-4000-8000-000000000001"},
        )
    ).valid


def test_sdk_snake_case_is_normalized(validator: EnvelopeValidator) -> None:
    event = time_spent_event()
    event["generated"]["items"] = [
        {
            "type": "waste",
            "value": 60,
            "sub_type": "eating",
            "start_date": "2024-01-15T10:00:00Z",
            "end_date": "2024-01-15T10:01:00Z",
        }
    ]
    result = validator.validate(envelope(event))
    assert result.valid
    assert result.events[0]["generated"]["items"] == [
        {
            "type": "waste",
            "value": 60,
            "subType": "eating",
            "startDate": "2024-01-15T10:00:00Z",
            "endDate": "2024-01-15T10:01:00Z",
        }
    ]


def test_every_problem_is_reported_not_just_the_first(validator: EnvelopeValidator) -> None:
    event = activity_event()
    event["id"] = "urn:uuid:nope"
    event["action"] = "Started"
    event["object"]["subject"] = "Art"
    second = copy.deepcopy(event)
    result = validator.validate(envelope(activity_event(), event, second))
    codes = [(e.index, e.code) for e in result.errors]
    for index in (1, 2):
        for code in ("invalid_event_id", "action_type_mismatch", "invalid_subject"):
            assert (index, code) in codes
