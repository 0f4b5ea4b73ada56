"""One passing and one failing case for each generic Caliper 1.2 rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from validators import EnvelopeValidator

Item = dict[str, Any]


def view_event() -> Item:
    return {
        "@context": "http://purl.imsglobal.org/ctx/caliper/v1p2",
        "id": "urn:uuid:3a648e68-f00d-4c08-aa59-8738e1884f2c",
        "type": "ViewEvent",
        "profile": "ReadingProfile",
        "actor": {"id": "https://example.edu/users/554433", "type": "Person"},
        "action": "Viewed",
        "object": {"id": "https://example.edu/etexts/201.epub", "type": "Document"},
        "eventTime": "2016-11-15T10:15:00.000Z",
    }


def person() -> Item:
    return {"id": "https://example.edu/users/554433", "type": "Person", "name": "Jane"}


def change(**fields: Any) -> Callable[[Item], None]:
    return lambda item: item.update(fields)


def drop(name: str) -> Callable[[Item], None]:
    return lambda item: item.pop(name)


CASES: list[tuple[str, Callable[[], Item], Callable[[Item], None], str | None]] = [
    ("allowed action", view_event, change(action="Viewed"), None),
    ("action of another type", view_event, change(action="Graded"), "action_type_mismatch"),
    ("action outside Caliper", view_event, change(action="Teleported"), "unknown_action"),
    (
        "generic Event, any action",
        view_event,
        change(type="Event", action="Graded", profile="GeneralProfile"),
        None,
    ),
    ("profile omitted", view_event, drop("profile"), None),
    ("profile unknown", view_event, change(profile="FunProfile"), "unknown_profile"),
    (
        "profile without the type",
        view_event,
        change(profile="SessionProfile"),
        "profile_type_mismatch",
    ),
    (
        "@context as array",
        view_event,
        change(**{"@context": ["http://purl.imsglobal.org/ctx/caliper/v1p2"]}),
        None,
    ),
    (
        "@context as object",
        view_event,
        change(**{"@context": {"ex": "https://example.edu/ctx"}}),
        None,
    ),
    ("event id not a UUID", view_event, change(id="urn:uuid:1234"), "invalid_event_id"),
    (
        "eventTime without offset",
        view_event,
        change(eventTime="2016-11-15T10:15:00"),
        "invalid_datetime",
    ),
    (
        "object of a wrong entity type",
        view_event,
        change(object={"id": "https://example.edu/x", "type": "Person"}),
        "wrong_entity_type",
    ),
    ("object as an IRI", view_event, change(object="https://example.edu/etexts/201.epub"), None),
    ("custom data outside extensions", view_event, change(score=3), "unexpected_field"),
    ("custom data in extensions", view_event, change(extensions={"score": 3}), None),
    ("entity", person, change(name="Jane"), None),
    ("entity id not an IRI", person, change(id="jane doe"), "invalid_uri"),
    ("entity property of a wrong type", person, change(name=7), "wrong_type"),
    ("unknown type", person, change(type="Wizard"), "unknown_type"),
]


@pytest.mark.parametrize(("rule", "make", "mutate", "code"), CASES, ids=[c[0] for c in CASES])
def test_caliper_rule(
    validator: EnvelopeValidator,
    rule: str,
    make: Callable[[], Item],
    mutate: Callable[[Item], None],
    code: str | None,
) -> None:
    item = make()
    mutate(item)
    issues = validator.item_issues(item, 0)
    if code is None:
        assert issues == [], [i.to_dict() for i in issues]
    else:
        assert code in {i.code for i in issues}, [i.to_dict() for i in issues]
