"""The screen (one native pass, validators/screen.py) against the full path it shortcuts.

For every input, a validator with the screen gives exactly the answer of the limits
walk followed by the full path: the same events (normalized) when valid, the same error
entries when not, the same limit error. The screen may say "no" to more than the full
path refuses, never "yes" to less: this is what these tests hold it to, and that it
does say yes to the real valid envelopes, or it would shortcut nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import conformance_root
from tests.unit.validators.test_properties import SEEDS, mutate
from validators import EnvelopeValidator
from validators.limits import DocumentLimitError, DocumentLimits, check_document
from validators.times import TimeBounds, TimeWindow

# (max_depth, max_string_chars): the front door's defaults, then limits real events break.
LIMITS: Final = [(32, 32768), (6, 60), (4, 400)]
# One frozen clock for every validator here: the "server's clock" is in the time errors'
# messages, and two validators reading a real clock can fall either side of a second.
NOW: Final = datetime.now(UTC)
BOUNDS: Final = TimeBounds(clock=lambda: NOW)
SCREENED: Final = {
    pair: EnvelopeValidator(
        limits=DocumentLimits(max_depth=pair[0], max_string_chars=pair[1]), time_bounds=BOUNDS
    )
    for pair in LIMITS
}
FULL: Final = EnvelopeValidator(time_bounds=BOUNDS)  # no limits, so no screen: the full path
USER: Final = "https://api.example/ims/oneroster/rostering/v1p2/users/s-1"
TIMEBACK_SEEDS: Final = [
    seed
    for seed in SEEDS
    if all(
        isinstance(item, dict) and item.get("type") in ("ActivityEvent", "TimeSpentEvent")
        for item in seed["data"]
    )
]


def outcome(validator: EnvelopeValidator, envelope: Any, limits: tuple[int, int]) -> Any:
    try:
        result = validator.validate(copy.deepcopy(envelope))
    except DocumentLimitError as error:
        return ("limit", error.code, error.path, error.message)
    if result.valid:
        return ("valid", result.events)
    return ("invalid", [issue.to_dict() for issue in result.errors])


def reference(envelope: Any, limits: tuple[int, int]) -> Any:
    try:
        check_document(envelope, max_depth=limits[0], max_string_chars=limits[1])
    except DocumentLimitError as error:
        return ("limit", error.code, error.path, error.message)
    return outcome(FULL, envelope, limits)


def assert_same(envelope: Any) -> None:
    for limits, screened in SCREENED.items():
        assert outcome(screened, envelope, limits) == reference(envelope, limits), limits


def screen_says_yes(envelope: Any) -> bool:
    validator = SCREENED[LIMITS[0]]
    assert validator.screen is not None
    window = TimeWindow.at(validator.time_bounds, validator.time_bounds.clock())
    return validator.screen.events(copy.deepcopy(envelope), window) is not None


def test_the_screen_is_on_for_the_rust_engine_with_limits() -> None:
    assert SCREENED[LIMITS[0]].screen is not None
    assert FULL.screen is None
    python = EnvelopeValidator(
        engine="python", limits=DocumentLimits(max_depth=8, max_string_chars=9)
    )
    assert python.screen is None


def test_it_says_yes_to_the_valid_timeback_envelopes_of_real_clients() -> None:
    valid = [seed for seed in TIMEBACK_SEEDS if reference(seed, LIMITS[0])[0] == "valid"]
    assert len(valid) >= 8, "the documentation's examples and the clients' envelopes"
    refused = [seed for seed in valid if not screen_says_yes(seed)]
    # Only what the screen refuses on purpose: both spellings of a metric field at once.
    for seed in refused:
        metrics = [m for e in seed["data"] for m in e["generated"]["items"]]
        assert any("sub_type" in m and "subType" in m for m in metrics) or any(
            "start_date" in m and "startDate" in m for m in metrics
        ), seed
    assert len(refused) < len(valid)


def test_the_strict_schema_takes_the_documented_shape_and_the_open_one_the_rest() -> None:
    """The documentation's examples pass the strict schema; a client's extra `course.code`
    or the SDK's snake_case only the open one (the full path accepts all three)."""
    screen = SCREENED[LIMITS[0]].screen
    assert screen is not None
    clients = conformance_root() / "timeback-clients"
    for number in range(1, 9):
        example = orjson.loads((clients / f"seed-example{number}.json").read_bytes())
        assert screen.strict(example), number
    activity = orjson.loads((clients / "seed-example4.json").read_bytes())
    extra = copy.deepcopy(activity)
    extra["data"][0]["object"]["course"]["code"] = "M-3"
    snake = orjson.loads((clients / "seed-example8.json").read_bytes())
    _snake(snake, same=None)
    for envelope in (extra, snake):
        assert reference(envelope, LIMITS[0])[0] == "valid"
        assert not screen.strict(envelope)
        assert screen.open(envelope)
        assert screen_says_yes(envelope)


@pytest.mark.parametrize(
    "event_time",
    [
        "2024-04-24t06:00:00Z",  # a lowercase t sorts after every T of the same day
        "2024-04-24T06:00:00Z",
        "2024-04-24T12:00:00.000001Z",
        "2024-04-24T11:59:59.999Z",
        "2024-04-24T13:00:00+01:00",
        "2024-04-24t12:30:00z",
    ],
)
def test_times_against_a_bound_within_the_day(event_time: str) -> None:
    """The screen's inline time check compares text: only the plain `T...Z` form may skip
    the parse. With the floor at noon, every one of these gets the full path's answer."""
    bounds = TimeBounds(earliest=datetime(2024, 4, 24, 12, tzinfo=UTC), clock=lambda: NOW)
    limits = DocumentLimits(max_depth=32, max_string_chars=32768)
    screened = EnvelopeValidator(limits=limits, time_bounds=bounds)
    full = EnvelopeValidator(time_bounds=bounds)
    clients = conformance_root() / "timeback-clients"
    envelope = orjson.loads((clients / "seed-example4.json").read_bytes())
    assert screen_says_yes(envelope)
    envelope["data"][0]["eventTime"] = event_time
    assert outcome(screened, envelope, LIMITS[0]) == outcome(full, envelope, LIMITS[0])


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"{len(s.get('data', []))}-items")
def test_conformance_envelopes(seed: Any) -> None:
    assert_same(seed)


def _metrics(envelope: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [m for e in envelope["data"] if e["type"] == kind for m in e["generated"]["items"]]


EDITS: Final[dict[str, Callable[[dict[str, Any]], object]]] = {
    "a count of 2.5": lambda e: _set_metric(e, "ActivityEvent", "value", 2.5),
    "a count of 3.0": lambda e: _set_metric(e, "ActivityEvent", "value", 3.0),
    "a count below 0": lambda e: _set_metric(e, "ActivityEvent", "value", -1),
    "a huge xp": lambda e: _set_metric(e, "ActivityEvent", "value", 1e300),
    "a metric twice": lambda e: _twice(e),
    "correct over total": lambda e: _correct_over_total(e),
    "process, not a user URL": lambda e: _process(e, "https://example.edu/people/1"),
    "process, a user URL": lambda e: _process(e, USER),
    "process, a user URL with a space": lambda e: _process(e, USER + "\u3000x"),
    "process false": lambda e: e["data"][0]["object"].update(process=False),
    "eventTime in the future": lambda e: e["data"][0].update(eventTime="2999-01-01T00:00:00Z"),
    "eventTime too early": lambda e: e["data"][0].update(eventTime="1999-12-31T23:59:59.999Z"),
    "eventTime with an offset": lambda e: e["data"][0].update(
        eventTime="2024-01-01T01:00:00+01:00"
    ),
    "sendTime in the future": lambda e: e.update(sendTime="2999-01-01T00:00:00.000Z"),
    "an id twice": lambda e: e["data"].append(copy.deepcopy(e["data"][0])),
    "a second event": lambda e: e["data"].append({**copy.deepcopy(e["data"][0]), "id": _UUID}),
    "snake beside camel, equal": lambda e: _snake(e, same=True),
    "snake beside camel, different": lambda e: _snake(e, same=False),
    "snake alone": lambda e: _snake(e, same=None),
    "a time metric twice": lambda e: _time_twice(e),
    "a long extension": lambda e: e["data"][0].update(extensions={"k": "x" * 70}),
    "a long key": lambda e: e["data"][0]["object"].update({"k" * 70: 1}),
    "deep extensions": lambda e: e["data"][0].update(extensions={"a": [[[[[[{}]]]]]]}),
    "a big number": lambda e: e["data"][0].update(extensions={"n": 2**60}),
    "a Caliper event beside": lambda e: e["data"].append({"type": "Event", "id": _UUID}),
}
_UUID: Final = "urn:uuid:5b5e5b5e-0000-4000-8000-0000000000aa"


def _set_metric(envelope: dict[str, Any], kind: str, key: str, value: Any) -> None:
    for metric in _metrics(envelope, kind)[:1]:
        if metric.get("type") != "xpEarned" or key != "value" or abs(value) > 1e10:
            metric[key] = value


def _twice(envelope: dict[str, Any]) -> None:
    for event in envelope["data"]:
        items = event["generated"]["items"]
        if items:
            items.append(copy.deepcopy(items[0]))
            return


def _correct_over_total(envelope: dict[str, Any]) -> None:
    for metric in _metrics(envelope, "ActivityEvent"):
        if metric["type"] == "correctQuestions":
            metric["value"] = 10**6


def _process(envelope: dict[str, Any], actor_id: str) -> None:
    event = envelope["data"][0]
    event["object"]["process"] = True
    event["actor"]["id"] = actor_id


def _snake(envelope: dict[str, Any], *, same: bool | None) -> None:
    for metric in _metrics(envelope, "TimeSpentEvent")[:1]:
        metric["sub_type"] = "reading"
        if same is not None:
            metric["subType"] = "reading" if same else "math"
        else:
            metric.pop("subType", None)


def _time_twice(envelope: dict[str, Any]) -> None:
    metrics = _metrics(envelope, "TimeSpentEvent")
    if metrics:
        twin = copy.deepcopy(metrics[0])
        for event in envelope["data"]:
            if event["type"] == "TimeSpentEvent":
                event["generated"]["items"].append(twin)
                return


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize("seed", TIMEBACK_SEEDS, ids=lambda s: s["data"][0]["id"][-6:])
def test_each_rule_the_screen_leaves_to_python(seed: Any, edit: str) -> None:
    envelope = copy.deepcopy(seed)
    EDITS[edit](envelope)
    assert_same(envelope)


@st.composite
def edited_envelopes(draw: st.DrawFn) -> Any:
    """Up to two of the edits above, then one to three random ones (test_properties)."""
    envelope = copy.deepcopy(draw(st.sampled_from(TIMEBACK_SEEDS)))
    for edit in draw(st.lists(st.sampled_from(sorted(EDITS)), max_size=2)):
        EDITS[edit](envelope)
    return mutate(draw, envelope)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited_envelopes())
def test_mutated_envelopes(envelope: Any) -> None:
    assert_same(envelope)
