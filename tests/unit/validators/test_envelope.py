"""Envelope-wide rules: the envelope's own fields, dispatch, duplicates, limits, the error cap."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.unit.validators.timeback_events import activity_event, envelope
from validators import EnvelopeValidator


def codes(result: Any) -> set[tuple[str, str]]:
    return {(e.code, e.path) for e in result.errors}


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("sensor", "not an iri", "invalid_uri"),
        ("sendTime", "yesterday", "invalid_datetime"),
        ("dataVersion", "http://purl.imsglobal.org/ctx/caliper/v1p1", "unsupported_data_version"),
        ("data", [], "empty_data"),
        ("data", {"id": "x"}, "wrong_type"),
    ],
)
def test_envelope_fields(
    validator: EnvelopeValidator, field: str, value: object, code: str
) -> None:
    body = envelope(activity_event())
    assert validator.validate(body).valid
    body[field] = value
    result = validator.validate(body)
    assert not result.valid
    assert (code, f"$.{field}") in codes(result)
    assert all(e.index is None for e in result.errors)


@pytest.mark.parametrize("field", ["sensor", "sendTime", "dataVersion", "data"])
def test_envelope_required_fields(validator: EnvelopeValidator, field: str) -> None:
    body = envelope(activity_event())
    del body[field]
    assert ("missing_field", f"$.{field}") in codes(validator.validate(body))


def test_envelope_unknown_field(validator: EnvelopeValidator) -> None:
    body = envelope(activity_event()) | {"extra": 1}
    assert ("unexpected_field", "$.extra") in codes(validator.validate(body))


@pytest.mark.parametrize("body", [None, [], "text", 3])
def test_not_an_object(validator: EnvelopeValidator, body: object) -> None:
    result = validator.validate(body)
    assert not result.valid
    assert ("wrong_type", "$") in codes(result)


def test_item_not_an_object_names_its_index(validator: EnvelopeValidator) -> None:
    result = validator.validate(envelope(activity_event(), "urn:uuid:x"))  # type: ignore[arg-type]
    assert [(e.index, e.path, e.code) for e in result.errors] == [(1, "$.data[1]", "wrong_type")]


def test_max_events_is_a_setting() -> None:
    small = EnvelopeValidator(max_events=2)
    events = [activity_event() for _ in range(3)]
    for number, event in enumerate(events):
        event["id"] = f"urn:uuid:00000000-0000-4000-8000-{number:012d}"
    assert small.validate(envelope(*events[:2])).valid
    result = small.validate(envelope(*events))
    assert ("too_many_events", "$.data") in codes(result)
    # Items past the limit are not validated: the work is bounded.
    assert len(result.errors) == 1


def test_item_without_type(validator: EnvelopeValidator) -> None:
    event = activity_event()
    del event["type"]
    assert codes(validator.validate(envelope(event))) == {("missing_field", "$.data[0].type")}


def test_unknown_type(validator: EnvelopeValidator) -> None:
    event = activity_event() | {"type": "HomeworkEvent", "profile": "GeneralProfile"}
    assert codes(validator.validate(envelope(event))) == {("unknown_type", "$.data[0].type")}


def test_timeback_profile_on_another_type(validator: EnvelopeValidator) -> None:
    event = activity_event() | {"type": "NavigationEvent"}
    assert codes(validator.validate(envelope(event))) == {
        ("profile_type_mismatch", "$.data[0].type")
    }


def test_duplicate_ids_in_one_envelope(validator: EnvelopeValidator) -> None:
    result = validator.validate(envelope(activity_event(), activity_event()))
    assert [(e.index, e.path, e.code) for e in result.errors] == [
        (1, "$.data[1].id", "duplicate_id")
    ]


def test_error_list_is_capped_with_a_note() -> None:
    capped = EnvelopeValidator(max_errors=5)
    events = []
    for number in range(10):
        event = activity_event()
        event["id"] = f"urn:uuid:bad-{number}"
        events.append(event)
    result = capped.validate(envelope(*events))
    assert len(result.errors) == 6
    assert result.errors[-1].code == "errors_truncated"
    assert "5 more" in result.errors[-1].message


def test_long_values_are_not_echoed(validator: EnvelopeValidator) -> None:
    event = activity_event()
    event["object"]["subject"] = "x" * 10_000
    (error,) = validator.validate(envelope(event)).errors
    assert len(error.message) < 400


def test_valid_envelope_is_not_mutated_except_normalization(validator: EnvelopeValidator) -> None:
    body = envelope(activity_event())
    before = copy.deepcopy(body)
    result = validator.validate(body)
    assert result.valid
    assert result.events == before["data"]


def test_rejects_invalid_constructor_limits() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        EnvelopeValidator(max_events=0)


def test_each_missing_field_is_reported_once(validator: EnvelopeValidator) -> None:
    result = validator.validate({"data": 1})
    assert [(e.path, e.code) for e in result.errors] == [
        ("$.sensor", "missing_field"),
        ("$.sendTime", "missing_field"),
        ("$.dataVersion", "missing_field"),
        ("$.data", "wrong_type"),
    ]
