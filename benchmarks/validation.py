"""Per-event cost of validating Timeback envelopes: our fast path vs the usual alternatives.

Compares, from the raw request bytes to a verdict, for 1-event and 100-event envelopes:
- rust (the hot path as the front door runs it): orjson + EnvelopeValidator(engine="rust")
  with the front door's default document limits: one jsonschema-rs pass over the envelope
  (schema rules and limits together, validators/screen.py) + the checks no schema makes;
- python: orjson + EnvelopeValidator(engine="python"), the same limits: fastjsonschema's
  generated code per event and the limits walked apart;
- jsonschema: orjson + a reused Draft202012Validator over the same schemas (anyOf on items,
  as a plain user would write it), with the same format checkers;
- pydantic: pydantic v2 models of the same events, `model_validate_json` (what most FastAPI
  users write as a request model).
Every contender is first checked to accept the valid envelopes and reject a broken one.
Targets (issue 11), per event on 100-event envelopes: rust >= 3x faster than pydantic and
>= 30x faster than jsonschema. Then where the hot path's time goes, part by part.

    python benchmarks/validation.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import orjson
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ConfigDict, Field

from ingest.settings import Settings
from validators import EnvelopeValidator
from validators.limits import DocumentLimits
from validators.schema_store import format_checker, load_document
from validators.times import TimeWindow

DATA_VERSION = "http://purl.imsglobal.org/ctx/caliper/v1p2"
UUID_URN = r"^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
IRI = r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$"
EMAIL = r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$"
Subject = Literal[
    "Reading", "Language", "Vocabulary", "Social Studies", "Writing",
    "Science", "FastMath", "Math", "None", "Other",
]  # fmt: skip
Iri = Annotated[str, Field(pattern=IRI)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Named(BaseModel):
    id: Iri | None = None
    name: str | None = None


class User(BaseModel):
    id: Iri
    type: Literal["TimebackUser"]
    email: Annotated[str, Field(pattern=EMAIL)]


class Context(BaseModel):
    id: Iri
    type: Literal["TimebackActivityContext"]
    subject: Subject
    app: Named | None = None
    activity: Named | None = None
    course: Named | None = None
    process: bool = False


class ActivityMetric(Strict):
    type: Literal["totalQuestions", "correctQuestions", "xpEarned", "masteredUnits"]
    value: float


class TimeMetric(Strict):
    type: Literal["active", "inactive", "waste", "unknown", "anti-pattern"]
    value: Annotated[float, Field(ge=0, le=86400)]
    subType: str | None = None
    startDate: datetime | None = None
    endDate: datetime | None = None


class ActivityCollection(Strict):
    id: Iri
    type: Literal["TimebackActivityMetricsCollection"]
    attempt: Annotated[int, Field(ge=1)] = 1
    items: list[ActivityMetric]
    extensions: dict[str, Any] | None = None


class TimeCollection(Strict):
    id: Iri
    type: Literal["TimebackTimeSpentMetricsCollection"]
    items: list[TimeMetric]
    extensions: dict[str, Any] | None = None


class EventBase(Strict):
    context: str | list[Any] | dict[str, Any] | None = Field(default=None, alias="@context")
    id: Annotated[str, Field(pattern=UUID_URN)]
    eventTime: datetime
    profile: Literal["TimebackProfile"]
    actor: User
    object: Context
    edApp: str | dict[str, Any] | None = None
    session: str | dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None


class ActivityEvent(EventBase):
    type: Literal["ActivityEvent"]
    action: Literal["Completed"]
    generated: ActivityCollection


class TimeSpentEvent(EventBase):
    type: Literal["TimeSpentEvent"]
    action: Literal["SpentTime"]
    generated: TimeCollection


class Envelope(Strict):
    sensor: Iri
    sendTime: datetime
    dataVersion: Literal["http://purl.imsglobal.org/ctx/caliper/v1p2"]
    data: Annotated[
        list[Annotated[ActivityEvent | TimeSpentEvent, Field(discriminator="type")]],
        Field(min_length=1, max_length=1000),
    ]


def timeback_events(count: int) -> list[dict[str, Any]]:
    """Alternate the documentation's full ActivityEvent and TimeSpentEvent, fresh ids."""
    root = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "timeback-clients"
    activity = orjson.loads((root / "seed-example4.json").read_bytes())["data"][0]
    time_spent = orjson.loads((root / "seed-example8.json").read_bytes())["data"][0]
    events = []
    for number in range(count):
        event = copy.deepcopy(activity if number % 2 == 0 else time_spent)
        event["id"] = f"urn:uuid:00000000-0000-4000-8000-{number:012d}"
        events.append(event)
    return events


def envelope_bytes(count: int) -> bytes:
    return orjson.dumps(
        {
            "sensor": "https://alpharead.alpha.school",
            "sendTime": "2024-04-24T14:12:01.000Z",
            "dataVersion": DATA_VERSION,
            "data": timeback_events(count),
        }
    )


def plain_jsonschema() -> Draft202012Validator:
    envelope = load_document("envelope.schema.json")
    envelope["$defs"] = load_document("timeback.schema.json")["$defs"]
    envelope["properties"]["data"]["items"] = {
        "anyOf": [{"$ref": "#/$defs/ActivityEvent"}, {"$ref": "#/$defs/TimeSpentEvent"}]
    }
    return Draft202012Validator(envelope, format_checker=format_checker())


def front_door_limits() -> DocumentLimits:
    defaults = Settings(auth_enabled=False)
    return DocumentLimits(max_depth=defaults.max_depth, max_string_chars=defaults.max_string_chars)


def contenders() -> dict[str, Callable[[bytes], bool]]:
    limits = front_door_limits()
    rust = EnvelopeValidator(engine="rust", limits=limits)
    python = EnvelopeValidator(engine="python", limits=limits)
    assert rust.engine == "rust", "jsonschema-rs is not installed"
    rust.warm_up()
    python.warm_up()
    reference = plain_jsonschema()

    def pydantic_verdict(body: bytes) -> bool:
        try:
            Envelope.model_validate_json(body)
        except ValueError:
            return False
        return True

    return {
        "rust": lambda body: rust.validate(orjson.loads(body)).valid,
        "python": lambda body: python.validate(orjson.loads(body)).valid,
        "jsonschema": lambda body: reference.is_valid(orjson.loads(body)),
        "pydantic": pydantic_verdict,
    }


ROUNDS: Final = 7


def per_event_microseconds(
    checks: Mapping[str, Callable[[bytes], object]], body: bytes, events: int, seconds: float
) -> dict[str, float]:
    """Per contender, the median of ROUNDS timed rounds of about seconds/ROUNDS each. The
    rounds take turns (one of each contender, then the next of each): on a shared machine
    a noisy second then slows every contender, not the one that happened to be running."""
    rounds: dict[str, list[float]] = {name: [] for name in checks}
    for _ in range(ROUNDS):
        for name, check in checks.items():
            loops, started = 0, time.perf_counter()
            while (elapsed := time.perf_counter() - started) < seconds / ROUNDS:
                check(body)
                loops += 1
            rounds[name].append(elapsed / loops / events * 1e6)
    return {name: statistics.median(times) for name, times in rounds.items()}


def hot_path_parts(body: bytes, events: int, seconds: float) -> dict[str, float]:
    """The rust contender taken apart: decoding, the one native pass, the Python checks
    after it, and the rest (the result, normalization)."""
    validator = EnvelopeValidator(engine="rust", limits=front_door_limits())
    screen = validator.screen
    assert screen is not None
    envelope = orjson.loads(body)
    window = TimeWindow.at(validator.time_bounds, validator.time_bounds.clock())
    costs = per_event_microseconds(
        {
            "orjson.loads": orjson.loads,
            "native": lambda _: screen.native(envelope),
            "screened": lambda _: screen.events(envelope, window),
            "whole": lambda raw: validator.validate(orjson.loads(raw)).valid,
        },
        body,
        events,
        seconds,
    )
    parts = {
        "orjson.loads": costs["orjson.loads"],
        "native pass (jsonschema-rs)": costs["native"],
        "checks after it": costs["screened"] - costs["native"],
    }
    parts["the rest"] = costs["whole"] - sum(parts.values())
    parts["whole hot path"] = costs["whole"]
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = parser.parse_args()
    checks = contenders()
    broken = orjson.loads(envelope_bytes(2))
    broken["data"][1]["action"] = "Started"
    for name, check in checks.items():
        assert check(envelope_bytes(1)), f"{name} rejects a valid envelope"
        assert check(envelope_bytes(100)), f"{name} rejects a valid envelope"
        assert not check(orjson.dumps(broken)), f"{name} accepts an invalid envelope"

    print(f"{'events/envelope':>16} {'contender':>12} {'us/event':>10} {'rust is':>14}")
    costs: dict[int, dict[str, float]] = {}
    for events in (1, 100):
        body = envelope_bytes(events)
        costs[events] = per_event_microseconds(checks, body, events, args.seconds)
        for name, cost in costs[events].items():
            ratio = "" if name == "rust" else f"{cost / costs[events]['rust']:.1f}x faster"
            print(f"{events:>16} {name:>12} {cost:>10.2f} {ratio:>14}")
    hundred = costs[100]
    for rival, target in (("pydantic", 3.0), ("jsonschema", 30.0)):
        times = hundred[rival] / hundred["rust"]
        verdict = "met" if times >= target else "MISSED"
        print(
            f"target: rust >= {target:g}x faster than {rival}, 100 events: {times:.1f}x {verdict}"
        )
    print(f"\n{'hot path, 100 events':>28} {'us/event':>10}")
    for part, cost in hot_path_parts(envelope_bytes(100), 100, args.seconds).items():
        print(f"{part:>28} {cost:>10.2f}")


if __name__ == "__main__":
    main()
