"""The Timeback metric rules' cases (types per collection, counts, values), one passing
and one failing each; test_timeback runs them with the event rules' cases."""

from __future__ import annotations

from tests.unit.validators.timeback_events import (
    Case,
    activity_event,
    metrics,
    setter,
    time_spent_event,
)

# (rule, base event, mutation, expected code or None for "valid", expected path)
METRIC_CASES: list[Case] = [
    (
        "metric not allowed",
        activity_event,
        metrics({"type": "pctComplete", "value": 100}),
        "metric_type_not_allowed",
        "$.data[0].generated.items[0].type",
    ),
    ("negative xp", activity_event, metrics({"type": "xpEarned", "value": -5}), None, ""),
    ("decimal xp", activity_event, metrics({"type": "xpEarned", "value": 2.39}), None, ""),
    (
        "negative count",
        activity_event,
        metrics({"type": "totalQuestions", "value": -1}),
        "invalid_metric_value",
        "$.data[0].generated.items[0].value",
    ),
    (
        "decimal count",
        activity_event,
        metrics({"type": "masteredUnits", "value": 1.5}),
        "invalid_metric_value",
        "$.data[0].generated.items[0].value",
    ),
    (
        "correct exceeds total",
        activity_event,
        metrics({"type": "totalQuestions", "value": 3}, {"type": "correctQuestions", "value": 4}),
        "correct_exceeds_total",
        "$.data[0].generated.items[1].value",
    ),
    (
        "duplicate activity metric",
        activity_event,
        metrics({"type": "xpEarned", "value": 1}, {"type": "xpEarned", "value": 2}),
        "duplicate_metric",
        "$.data[0].generated.items[1].type",
    ),
    ("attempt 2", activity_event, setter("generated.attempt", 2), None, ""),
    (
        "attempt 0",
        activity_event,
        setter("generated.attempt", 0),
        "value_out_of_range",
        "$.data[0].generated.attempt",
    ),
    (
        "time metric not allowed",
        time_spent_event,
        metrics({"type": "xpEarned", "value": 1}),
        "metric_type_not_allowed",
        "$.data[0].generated.items[0].type",
    ),
    (
        "time over a day",
        time_spent_event,
        metrics({"type": "active", "value": 86401}),
        "invalid_metric_value",
        "$.data[0].generated.items[0].value",
    ),
    (
        "time negative",
        time_spent_event,
        metrics({"type": "active", "value": -1}),
        "invalid_metric_value",
        "$.data[0].generated.items[0].value",
    ),
    (
        "time dates",
        time_spent_event,
        metrics(
            {
                "type": "active",
                "value": 60,
                "startDate": "2024-01-15T10:00:00Z",
                "endDate": "2024-01-15T10:01:00Z",
            }
        ),
        None,
        "",
    ),
    (
        "time bad date",
        time_spent_event,
        metrics({"type": "active", "value": 60, "startDate": "yesterday"}),
        "invalid_datetime",
        "$.data[0].generated.items[0].startDate",
    ),
    (
        "sdk snake case",
        time_spent_event,
        metrics(
            {
                "type": "waste",
                "value": 60,
                "sub_type": "eating",
                "start_date": "2024-01-15T10:00:00Z",
            }
        ),
        None,
        "",
    ),
    (
        "snake and camel disagree",
        time_spent_event,
        metrics({"type": "waste", "value": 60, "sub_type": "eating", "subType": "chatting"}),
        "conflicting_fields",
        "$.data[0].generated.items[0].sub_type",
    ),
    (
        "same type other subType",
        time_spent_event,
        metrics(
            {"type": "waste", "value": 1, "subType": "eating"},
            {"type": "waste", "value": 2, "subType": "chatting"},
        ),
        None,
        "",
    ),
    (
        "duplicate time metric",
        time_spent_event,
        metrics(
            {"type": "waste", "value": 1, "subType": "eating"},
            {"type": "waste", "value": 2, "sub_type": "eating"},
        ),
        "duplicate_metric",
        "$.data[0].generated.items[1].type",
    ),
    (
        "generic properties",
        activity_event,
        lambda e: e.update(
            {
                "@context": ["http://purl.imsglobal.org/ctx/caliper/v1p2"],
                "edApp": {"id": "https://app.example", "type": "SoftwareApplication"},
                "session": "https://app.example/s/1",
                "extensions": {"runId": "r1"},
            }
        ),
        None,
        "",
    ),
    (
        "unknown top-level property",
        activity_event,
        setter("score", 3),
        "unexpected_field",
        "$.data[0].score",
    ),
]
