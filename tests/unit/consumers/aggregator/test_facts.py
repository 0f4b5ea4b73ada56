"""Event -> fact: the pure mapping, each metric type, dates, student ids."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from consumers.aggregator.facts import (
    FactError,
    digest,
    is_fact_event,
    sourced_id,
    to_fact,
    utc_date,
    utc_time,
)

USER_URL = "https://api.alpha-1edtech.ai/ims/oneroster/rostering/v1p2/users/stu-77"


def activity(items: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": "urn:uuid:11111111-1111-4111-8111-111111111111",
        "type": "ActivityEvent",
        "profile": "TimebackProfile",
        "action": "Completed",
        "actor": {"id": USER_URL, "type": "TimebackUser", "email": "kid@alpha.school"},
        "object": {
            "id": "https://app.example/math/algebra",
            "type": "TimebackActivityContext",
            "subject": "Math",
            "app": {"name": "Nice Academy"},
            "course": {"id": "https://app.example/courses/alg", "name": "Algebra"},
            "activity": {"id": "https://app.example/act/9", "name": "Unit 2 Quiz"},
        },
        "eventTime": "2026-02-10T15:04:05.678Z",
        "generated": {"id": "urn:uuid:2", "type": "TimebackActivityMetricsCollection"},
    }
    event["generated"]["items"] = items
    event.update(changes)
    return event


def time_spent(items: list[dict[str, Any]]) -> dict[str, Any]:
    event = activity(items, type="TimeSpentEvent", action="SpentTime")
    event["generated"]["type"] = "TimebackTimeSpentMetricsCollection"
    return event


def test_activity_event_becomes_a_fact_with_every_field() -> None:
    fact = to_fact(activity([{"type": "xpEarned", "value": 12}]))
    assert fact.event_id == "urn:uuid:11111111-1111-4111-8111-111111111111"
    assert fact.event_type == "ActivityEvent"
    assert fact.event_time == "2026-02-10T15:04:05.678Z"
    assert fact.date == "2026-02-10"
    assert fact.student_id == USER_URL
    assert fact.student_sourced_id == "stu-77"
    assert fact.email == "kid@alpha.school"
    assert (fact.subject, fact.app) == ("Math", "Nice Academy")
    assert (fact.course_id, fact.course_name) == ("https://app.example/courses/alg", "Algebra")
    assert (fact.activity_id, fact.activity_name) == ("https://app.example/act/9", "Unit 2 Quiz")
    assert fact.metrics == {"xpEarned": Decimal(12)}
    assert fact.daily_key == (USER_URL, "2026-02-10", "Math", "Nice Academy", fact.course_id)


@pytest.mark.parametrize(
    ("item_type", "field"),
    [
        ("xpEarned", "xpEarned"),
        ("totalQuestions", "totalQuestions"),
        ("correctQuestions", "correctQuestions"),
        ("masteredUnits", "masteredUnits"),
    ],
)
def test_each_activity_metric(item_type: str, field: str) -> None:
    assert to_fact(activity([{"type": item_type, "value": 3}])).metrics == {field: Decimal(3)}


@pytest.mark.parametrize(
    ("item_type", "field"),
    [
        ("active", "activeSeconds"),
        ("inactive", "inactiveSeconds"),
        ("waste", "wasteSeconds"),
        ("unknown", "unknownSeconds"),
        ("anti-pattern", "antiPatternSeconds"),
    ],
)
def test_each_time_metric(item_type: str, field: str) -> None:
    assert to_fact(time_spent([{"type": item_type, "value": 90}])).metrics == {field: Decimal(90)}


def test_waste_by_sub_type_and_total_waste() -> None:
    fact = to_fact(
        time_spent(
            [
                {"type": "waste", "value": 60, "subType": "eating"},
                {"type": "waste", "value": 30, "subType": "break"},
                {"type": "waste", "value": 5},
                {"type": "active", "value": 1800, "startDate": "2024-01-15T10:00:00Z"},
            ]
        )
    )
    assert fact.metrics == {"wasteSeconds": Decimal(95), "activeSeconds": Decimal(1800)}
    assert fact.waste_by_sub_type == {"eating": Decimal(60), "break": Decimal(30)}


def test_negative_and_decimal_xp_are_exact() -> None:
    fact = to_fact(activity([{"type": "xpEarned", "value": -5.1}]))
    assert fact.metrics["xpEarned"] == Decimal("-5.1")


@pytest.mark.parametrize(
    ("event_time", "date"),
    [
        ("2026-02-10T23:30:00Z", "2026-02-10"),
        ("2026-02-10T23:30:00-02:00", "2026-02-11"),
        ("2026-02-10T01:30:00+05:30", "2026-02-09"),
        ("2026-01-12T17:00:00.123456789Z", "2026-01-12"),
        ("2016-12-31T23:59:60Z", "2016-12-31"),
    ],
)
def test_utc_date(event_time: str, date: str) -> None:
    assert utc_date(event_time) == date


@pytest.mark.parametrize(
    ("event_time", "utc"),
    [
        ("2026-02-10T23:30:00Z", "2026-02-10T23:30:00.000000Z"),
        ("2026-02-10t23:30:00.5z", "2026-02-10T23:30:00.500000Z"),
        ("2026-02-10T23:30:00-02:00", "2026-02-11T01:30:00.000000Z"),
        ("2026-02-10T01:30:00.25+05:30", "2026-02-09T20:00:00.250000Z"),
        ("2026-03-01T00:15:00+00:45", "2026-02-28T23:30:00.000000Z"),
        ("2024-03-01T00:15:00+00:45", "2024-02-29T23:30:00.000000Z"),  # leap year
        ("2026-01-12T17:00:00.123456789Z", "2026-01-12T17:00:00.123456Z"),  # truncated
        ("2016-12-31T23:59:60Z", "2016-12-31T23:59:59.999999Z"),  # leap second clamped
        ("2016-12-31T23:59:60.5+01:00", "2016-12-31T22:59:59.999999Z"),
    ],
)
def test_utc_time_is_fixed_width_utc(event_time: str, utc: str) -> None:
    assert utc_time(event_time) == utc
    assert len(utc) == len("YYYY-MM-DDTHH:MM:SS.ffffffZ")


def test_utc_times_sort_as_times() -> None:
    times = ["2026-02-10T23:30:00-02:00", "2026-02-11T01:00:00Z", "2026-02-11T00:59:59.9+00:00"]
    # 01:30Z, 01:00Z and 00:59:59.9Z: text order of the UTC form is time order.
    assert sorted(times, key=utc_time) == [times[2], times[1], times[0]]
    assert sorted(times) != sorted(times, key=utc_time)


def test_a_fact_carries_its_utc_time() -> None:
    fact = to_fact(
        activity([{"type": "xpEarned", "value": 1}], eventTime="2026-02-10T23:30:00+09:00")
    )
    assert (fact.event_time_utc, fact.date) == ("2026-02-10T14:30:00.000000Z", "2026-02-10")


@pytest.mark.parametrize(
    "event_time",
    [
        "yesterday",
        "2026-02-30T00:00:00Z",
        "2025-02-29T12:00:00Z",
        "2026-02-10T24:00:00Z",
        "2026-02-10T23:60:00Z",
        "2026-02-10 23:00:00Z",
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-01:00",  # after year 9999 in UTC
    ],
)
def test_bad_event_time(event_time: str) -> None:
    with pytest.raises(FactError):
        utc_time(event_time)


@pytest.mark.parametrize(
    ("actor_id", "expected"),
    [
        (USER_URL, "stu-77"),
        (USER_URL + "/", "stu-77"),
        ("https://example.com/people/stu-77", None),
        ("urn:uuid:abc", None),
    ],
)
def test_sourced_id(actor_id: str, expected: str | None) -> None:
    assert sourced_id(actor_id) == expected


def test_optional_context_fields() -> None:
    event = activity([{"type": "xpEarned", "value": 1}])
    for name in ("app", "course", "activity"):
        del event["object"][name]
    fact = to_fact(event)
    assert (fact.app, fact.course_id, fact.course_name, fact.activity_name) == (None,) * 4
    assert fact.activity_id == "https://app.example/math/algebra"  # the context object
    assert fact.daily_key[3:] == ("", "")


def test_course_named_only_by_name_keys_by_name() -> None:
    event = activity([{"type": "xpEarned", "value": 1}])
    event["object"]["course"] = {"name": "Algebra"}
    assert to_fact(event).daily_key[4] == "Algebra"


@pytest.mark.parametrize(
    "change",
    [
        {"generated": {"items": [{"type": "nope", "value": 1}]}},
        {"generated": {"items": [{"type": "xpEarned", "value": "1"}]}},
        {"generated": {"items": "x"}},
        {"actor": "https://example.com/u"},
        {"eventTime": None},
    ],
)
def test_unusable_events_raise(change: dict[str, Any]) -> None:
    with pytest.raises(FactError):
        to_fact(activity([{"type": "xpEarned", "value": 1}], **change))


def test_only_timeback_events_are_facts() -> None:
    event = activity([])
    assert is_fact_event(event)
    assert not is_fact_event({**event, "profile": "GeneralProfile"})
    assert not is_fact_event({**event, "type": "NavigationEvent"})


def test_digest_ignores_key_order_but_not_content() -> None:
    event = activity([{"type": "xpEarned", "value": 1}])
    reordered = dict(reversed(list(copy.deepcopy(event).items())))
    assert digest(event) == digest(reordered)
    changed = activity([{"type": "xpEarned", "value": 2}])
    assert digest(event) != digest(changed)
