"""Conformance against corpora nobody on the team wrote (../shared/conformance).

- caliper-v1p2/: the official IMS Caliper 1.2 fixtures. Every valid event, entity and
  envelope is accepted; every deliberately broken fixture is rejected, except the few
  listed in EXCEPTIONS with the reason the IMS specification itself does not make them
  invalid.
- timeback-clients/: envelopes from real Timeback clients, the official SDK and the API
  documentation, each with its expected outcome tied to a rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import conformance_root
from validators import EnvelopeValidator

ACCEPTED: frozenset[str] = frozenset()

# file -> (codes expected, or ACCEPTED; the rule behind the outcome)
TIMEBACK_CLIENTS: dict[str, tuple[frozenset[str], str]] = {
    "austinway-activity-record-space-in-object-id.json": (
        frozenset({"invalid_uri"}),
        "object.id contains a space: not an IRI",
    ),
    "austinway-activity-record-subject-Other.json": (
        ACCEPTED,
        "Other is an allowed subject; course may carry code without id",
    ),
    "austinway-lesson-js-via-proxy-no-email.json": (
        frozenset({"missing_field"}),
        "actor.email is required as documented",
    ),
    "austinway-lesson-js-via-proxy.json": (ACCEPTED, "course and activity are optional"),
    "austinway-mark-content-complete.json": (ACCEPTED, "xpEarned 0 and an empty course name"),
    "austinway-powerpath-complete-pctComplete-item.json": (
        frozenset({"metric_type_not_allowed"}),
        "pctComplete is not an ActivityEvent metric type",
    ),
    "docs-timeback-sdk-reference-activity.json": (ACCEPTED, "the SDK reference example"),
    "mathraiders-backfill-activity-plus-timespent.json": (
        ACCEPTED,
        "two events in one envelope, distinct ids; whole-second eventTime",
    ),
    "mathraiders-decimal-xp-validate.json": (ACCEPTED, "xpEarned may be a decimal"),
    "mathraiders-microsecond-eventtime.json": (ACCEPTED, "any fractional precision"),
    "mathraiders-plan-doc-example.json": (ACCEPTED, "a plain ActivityEvent"),
    "nice-activity-completed-negative-xp.json": (ACCEPTED, "negative xpEarned is a correction"),
    "nice-timespent-startdate-enddate.json": (ACCEPTED, "startDate/endDate are date-times"),
    "readingspine-assessmentevent-accuracy.json": (
        ACCEPTED,
        "a generic AssessmentEvent/Submitted in the AssessmentProfile",
    ),
    "readingspine-gradeevent-xp.json": (
        ACCEPTED,
        "a generic GradeEvent/Graded in the GradingProfile",
    ),
    "sdk-py-activity-attempt-extensions.json": (ACCEPTED, "attempt 2 and collection extensions"),
    "sdk-py-activity-basic.json": (ACCEPTED, "the official SDK's ActivityEvent"),
    "sdk-py-timespent-dates-subtype.json": (
        ACCEPTED,
        "snake_case start_date/end_date/sub_type from the SDK, normalized",
    ),
    **{f"seed-example{n}.json": (ACCEPTED, "a documentation example") for n in range(1, 9)},
}

# Broken IMS fixtures the IMS specification itself does not make invalid.
_INTEGER_FOR_DECIMAL = (
    "the only fault is an integer literal ({}) where the spec's decimal is expected; JSON "
    "(RFC 8259 section 6) and JSON Schema do not tell 25 from 25.0, and real clients send "
    "whole numbers there (Timeback reading-spine's Score scoreGiven 12)"
)
EXCEPTIONS: dict[str, str] = {
    "caliperEntityAggregateMeasure-MalformedMaxMetricValueNotAnInt.json": (
        _INTEGER_FOR_DECIMAL.format("maxMetricValue 25")
    ),
    "caliperEntityAggregateMeasure-MalformedMetricValueNotAnInt.json": (
        _INTEGER_FOR_DECIMAL.format("metricValue 12")
    ),
    "caliperEntityAssignableDigitalResource-MalformedMaxScoreNotAFloat.json": (
        _INTEGER_FOR_DECIMAL.format("maxScore 50")
    ),
    "caliperEntityScore-MalformedMaxScoreNotAnInt.json": (
        _INTEGER_FOR_DECIMAL.format("maxScore 15")
    ),
}

# Files in caliper-v1p2/ that are neither events, entities nor envelopes.
NOT_CALIPER_DATA: dict[str, str] = {
    "caliperEndpointConfigPayload.json": "an endpoint configuration payload, not sent as data",
}


def fixture_names(folder: str, pattern: str) -> list[str]:
    root = conformance_root() / folder
    return sorted(path.name for path in root.glob(pattern)) if root.is_dir() else []


def load(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


@pytest.mark.parametrize("name", sorted(TIMEBACK_CLIENTS))
def test_timeback_client(validator: EnvelopeValidator, conformance_dir: Path, name: str) -> None:
    expected, rule = TIMEBACK_CLIENTS[name]
    result = validator.validate(load(conformance_dir / "timeback-clients" / name))
    found = {error.code for error in result.errors}
    assert found == expected, f"{rule}: {[e.to_dict() for e in result.errors]}"


def test_every_timeback_client_has_an_expected_outcome(conformance_dir: Path) -> None:
    on_disk = {path.name for path in (conformance_dir / "timeback-clients").glob("*.json")}
    assert on_disk == set(TIMEBACK_CLIENTS)


@pytest.mark.parametrize(
    "name",
    [n for n in fixture_names("caliper-v1p2", "caliper*.json") if n not in NOT_CALIPER_DATA],
)
def test_valid_ims_fixture(validator: EnvelopeValidator, conformance_dir: Path, name: str) -> None:
    document = load(conformance_dir / "caliper-v1p2" / name)
    if name.startswith("caliperEnvelope"):
        errors = validator.validate(document).errors
    else:
        errors = validator.item_issues(document, 0)
    assert errors == [], [e.to_dict() for e in errors]


@pytest.mark.parametrize("name", fixture_names("caliper-v1p2/commonErrorFixtures", "*.json"))
def test_broken_ims_fixture(validator: EnvelopeValidator, conformance_dir: Path, name: str) -> None:
    raw = (conformance_dir / "caliper-v1p2" / "commonErrorFixtures" / name).read_bytes()
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return  # unparseable: the front door answers invalid_json
    errors = validator.item_issues(document, 0) if isinstance(document, dict) else ["not an object"]
    if name in EXCEPTIONS:
        assert errors == [], f"listed as an exception ({EXCEPTIONS[name]}) but now rejected"
    else:
        assert errors, "a deliberately broken fixture was accepted"


def test_corpora_are_complete(conformance_dir: Path) -> None:
    assert len(fixture_names("caliper-v1p2", "caliperEvent*.json")) == 52
    assert len(fixture_names("caliper-v1p2", "caliperEnvelope*.json")) == 14
    assert len(fixture_names("caliper-v1p2/commonErrorFixtures", "*.json")) == 279
