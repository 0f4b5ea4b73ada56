"""Timeback events and mutations shared by the validator tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from validators import EnvelopeValidator

Event = dict[str, Any]
Mutation = Callable[[Event], None]

USER = "https://api.alpha-1edtech.ai/ims/oneroster/rostering/v1p2/users/stu-1"


def activity_event() -> Event:
    return {
        "id": "urn:uuid:c51570e4-f8ed-4c18-bb3a-dfe51b2cc594",
        "eventTime": "2024-04-24T14:12:00.000Z",
        "profile": "TimebackProfile",
        "type": "ActivityEvent",
        "actor": {"id": USER, "type": "TimebackUser", "email": "student@example.com"},
        "action": "Completed",
        "object": {
            "id": "https://api.alpha-1edtech.ai/ims/oneroster/rostering/v1p2/courses/component-resources/r1",
            "type": "TimebackActivityContext",
            "subject": "Reading",
            "app": {"name": "PowerPath UI"},
            "activity": {"name": "Answered quiz"},
            "course": {"id": "https://example.edu/courses/c1", "name": "Reading G3"},
            "process": False,
        },
        "generated": {
            "id": "https://your-app-url.com/ims/metrics/collections/activity/1",
            "type": "TimebackActivityMetricsCollection",
            "items": [
                {"type": "totalQuestions", "value": 10},
                {"type": "correctQuestions", "value": 8},
                {"type": "xpEarned", "value": 100},
                {"type": "masteredUnits", "value": 2},
            ],
        },
    }


def time_spent_event() -> Event:
    event = activity_event()
    event.update(type="TimeSpentEvent", action="SpentTime")
    event["object"].pop("process")
    event["generated"] = {
        "id": "https://your-app-url.com/ims/metrics/collections/time/1",
        "type": "TimebackTimeSpentMetricsCollection",
        "items": [
            {"type": "active", "value": 10},
            {"type": "waste", "value": 2, "subType": "eating"},
            {"type": "inactive", "value": 2},
            {"type": "unknown", "value": 5},
            {"type": "anti-pattern", "value": 8},
        ],
    }
    return event


def envelope(*events: Event) -> dict[str, Any]:
    return {
        "sensor": "https://alpharead.alpha.school",
        "sendTime": "2024-04-24T14:12:01.000Z",
        "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
        "data": list(events),
    }


def setter(path: str, value: object) -> Mutation:
    *parents, last = path.split(".")

    def mutate(event: Event) -> None:
        node: Any = event
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def deleter(path: str) -> Mutation:
    *parents, last = path.split(".")

    def mutate(event: Event) -> None:
        node: Any = event
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        del node[last]

    return mutate


def metrics(*items: dict[str, Any]) -> Mutation:
    return setter("generated.items", list(items))


# (rule, base event, mutation, expected code or None for "valid", expected path)
Case = tuple[str, Callable[[], Event], Mutation, str | None, str]


def check_case(
    validator: EnvelopeValidator,
    make: Callable[[], Event],
    mutate: Mutation,
    code: str | None,
    path: str,
) -> None:
    """Build the event, mutate it, validate its envelope: valid, or `code` at `path`."""
    event = make()
    mutate(event)
    result = validator.validate(envelope(event))
    if code is None:
        assert result.valid, [e.to_dict() for e in result.errors]
    else:
        assert not result.valid
        assert (code, path) in {(e.code, e.path) for e in result.errors}, [
            e.to_dict() for e in result.errors
        ]
        assert all(e.index == 0 for e in result.errors)
