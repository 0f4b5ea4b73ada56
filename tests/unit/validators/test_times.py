"""Plausible times: eventTime and sendTime between a floor and the server's clock plus a
skew, for both Timeback event types, generic Caliper events and the envelope; entities
carry no eventTime and are not checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.validators.timeback_events import Event, activity_event, envelope, time_spent_event
from validators import EnvelopeValidator
from validators.engines import ENGINES
from validators.times import TimeBounds, TimeWindow, parse_date_time

NOW = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)
BOUNDS = TimeBounds(earliest=datetime(2000, 1, 1, tzinfo=UTC), max_future_s=300, clock=lambda: NOW)


@pytest.fixture(scope="module", params=ENGINES)
def pinned(request: pytest.FixtureRequest) -> EnvelopeValidator:
    return EnvelopeValidator(engine=request.param, time_bounds=BOUNDS)


def _codes(validator: EnvelopeValidator, document: dict[str, Any]) -> list[tuple[str, str]]:
    result = validator.validate(document)
    return [(issue.path, issue.code) for issue in result.errors]


@pytest.mark.parametrize("make", [activity_event, time_spent_event])
@pytest.mark.parametrize(
    ("event_time", "code"),
    [
        ("0001-01-01T00:00:00Z", "time_too_early"),
        ("1999-12-31T23:59:59.999Z", "time_too_early"),
        ("2000-01-01T00:00:00Z", None),
        ("2026-12-02T12:05:00Z", None),  # exactly the skew
        ("2026-12-02T12:05:00.001Z", "time_in_future"),
        ("2026-12-03T02:04:00+14:00", None),  # 12:04 UTC, in the skew
        ("2026-12-02T06:06:00-06:00", "time_in_future"),  # 12:06 UTC
        ("9999-12-31T23:59:59Z", "time_in_future"),
        ("2016-12-31T23:59:60Z", None),  # a leap second
        ("2024-04-24T14:12:00.123456789Z", None),  # nanoseconds
    ],
)
def test_event_time_bounds(
    pinned: EnvelopeValidator, make: Any, event_time: str, code: str | None
) -> None:
    event: Event = make()
    event["eventTime"] = event_time
    expected = [] if code is None else [("$.data[0].eventTime", code)]
    assert _codes(pinned, envelope(event)) == expected


def test_messages_name_the_bound(pinned: EnvelopeValidator) -> None:
    early, late = activity_event(), time_spent_event()
    early["eventTime"] = "0001-01-01T00:00:00Z"
    late["eventTime"] = "9999-12-31T00:00:00Z"
    late["id"] = "urn:uuid:00000000-0000-4000-8000-000000000001"
    errors = pinned.validate(envelope(early, late)).errors
    assert [(e.index, e.code) for e in errors] == [(0, "time_too_early"), (1, "time_in_future")]
    assert "before 2000-01-01T00:00:00Z" in errors[0].message
    assert "300 s after the server's clock (2026-12-02T12:00:00Z)" in errors[1].message


@pytest.mark.parametrize(
    ("send_time", "code"),
    [("0001-01-01T00:00:00Z", "time_too_early"), ("9999-12-31T00:00:00Z", "time_in_future")],
)
def test_send_time_bounds(pinned: EnvelopeValidator, send_time: str, code: str) -> None:
    document = envelope(activity_event())
    document["sendTime"] = send_time
    result = pinned.validate(document)
    assert [(e.index, e.path, e.code) for e in result.errors] == [(None, "$.sendTime", code)]


def test_generic_caliper_events_are_bounded_too(
    pinned: EnvelopeValidator, conformance_dir: Path
) -> None:
    path = conformance_dir / "caliper-v1p2" / "caliperEventNavigationNavigatedToWebPage.json"
    event: dict[str, Any] = orjson.loads(path.read_bytes())
    event.pop("@context", None)
    assert pinned.validate(envelope(event)).valid
    event["eventTime"] = "9999-01-01T00:00:00.000Z"
    assert _codes(pinned, envelope(event)) == [("$.data[0].eventTime", "time_in_future")]


def test_a_malformed_time_is_the_schemas_to_report(pinned: EnvelopeValidator) -> None:
    event = activity_event()
    event["eventTime"] = "yesterday"
    assert _codes(pinned, envelope(event)) == [("$.data[0].eventTime", "invalid_datetime")]


def test_the_default_clock_is_the_servers() -> None:
    soon = datetime.now(UTC) + timedelta(seconds=60)
    event = activity_event()
    event["eventTime"] = soon.isoformat().replace("+00:00", "Z")
    assert EnvelopeValidator().validate(envelope(event)).valid
    event["eventTime"] = (soon + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert not EnvelopeValidator().validate(envelope(event)).valid


def test_parse_date_time() -> None:
    assert parse_date_time("2024-04-24T14:12:00Z") == datetime(2024, 4, 24, 14, 12, tzinfo=UTC)
    assert parse_date_time("not a time") is None
    with pytest.raises(ValueError, match="time zone"):
        TimeBounds(earliest=datetime(2000, 1, 1))


@settings(max_examples=500, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1999, 12, 31, 23, 0),
        max_value=datetime(2026, 12, 2, 12, 10),
        timezones=st.just(UTC),
    ),
    st.sampled_from(["seconds", "milliseconds", "microseconds"]),
)
def test_the_text_shortcut_agrees_with_parsing(moment: datetime, spec: str) -> None:
    """Near both bounds, the comparison as text gives the answer a full parse gives."""
    text = moment.isoformat(timespec=spec).replace("+00:00", "Z")
    window = TimeWindow.at(BOUNDS, NOW)
    issue = window.issue(text, 0, "$.t", "t")
    expected = (
        "time_too_early"
        if moment < BOUNDS.earliest
        else "time_in_future"
        if (moment - NOW).total_seconds() > BOUNDS.max_future_s
        else None
    )
    assert (issue.code if issue else None) == expected, text
