"""Reading front-door records: facts, generic events, malformed records, conformance files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from consumers.aggregator.records import Kind, conflict_value, fact_value, parse
from tests.conftest import conformance_root
from validators import EnvelopeValidator

CONFORMANCE = conformance_root() / "timeback-clients"
HEADERS = [("event-type", b"ActivityEvent"), ("record-version", b"1")]


def value(event: Any) -> bytes:
    return orjson.dumps(
        {"sensor": "s", "sendTime": None, "receivedTime": "2026-02-10T15:04:06Z", "event": event}
    )


XP_EVENT: dict[str, Any] = {
    "id": "urn:uuid:11111111-1111-4111-8111-111111111111",
    "type": "ActivityEvent",
    "profile": "TimebackProfile",
    "actor": {"id": "https://x.example/users/s1", "type": "TimebackUser", "email": "a@b.co"},
    "object": {"id": "https://x.example/a", "type": "TimebackActivityContext", "subject": "Math"},
    "eventTime": "2026-02-10T15:04:05Z",
    "generated": {"items": [{"type": "xpEarned", "value": 3}]},
}


def test_a_timeback_event_is_a_fact() -> None:
    parsed = parse(value(XP_EVENT), HEADERS)
    assert parsed.kind is Kind.FACT
    assert parsed.fact is not None
    assert parsed.fact.event_id == XP_EVENT["id"]
    assert parsed.received_time == "2026-02-10T15:04:06Z"
    assert len(parsed.digest) == 16
    assert orjson.loads(fact_value(parsed.fact))["metrics"] == {"xpEarned": 3}


def test_a_generic_event_is_only_counted() -> None:
    parsed = parse(value({"type": "NavigationEvent", "id": "urn:uuid:1"}), HEADERS)
    assert (parsed.kind, parsed.event_type) == (Kind.GENERIC, "NavigationEvent")


@pytest.mark.parametrize(
    ("raw", "headers"),
    [
        (b"not json", HEADERS),
        (b"[1, 2]", HEADERS),
        (orjson.dumps({"event": "x"}), HEADERS),
        (None, HEADERS),
        (value(XP_EVENT), [("record-version", b"2")]),
        (value(XP_EVENT), []),
        (value({**XP_EVENT, "eventTime": "soon"}), HEADERS),
    ],
)
def test_malformed_records_are_classified_never_raised(
    raw: bytes | None, headers: list[tuple[str, bytes]]
) -> None:
    parsed = parse(raw, headers)
    assert parsed.kind is Kind.MALFORMED
    assert parsed.reason


def test_conflict_value_names_both_digests() -> None:
    body = orjson.loads(conflict_value("urn:x", b"\x01", b"\x02", topic="t", partition=1, offset=9))
    assert body == {
        "eventId": "urn:x",
        "countedDigest": "01",
        "refusedDigest": "02",
        "topic": "t",
        "partition": 1,
        "offset": 9,
    }


def conformance_files() -> list[Path]:
    return sorted(CONFORMANCE.glob("*.json"))


@pytest.mark.skipif(not CONFORMANCE.is_dir(), reason=f"no conformance files at {CONFORMANCE}")
def test_every_valid_conformance_event_is_a_fact_or_generic() -> None:
    """What the front door accepts, the aggregator can read: no valid event is malformed."""
    validator = EnvelopeValidator()
    kinds: dict[Kind, int] = dict.fromkeys(Kind, 0)
    for path in conformance_files():
        result = validator.validate(orjson.loads(path.read_bytes()))
        for event in result.events if result.valid else []:
            parsed = parse(value(event), HEADERS)
            assert parsed.kind is not Kind.MALFORMED, (path.name, parsed.reason)
            kinds[parsed.kind] += 1
    assert kinds[Kind.FACT] >= 10


def test_a_nul_in_a_name_becomes_the_replacement_character() -> None:
    """Neither store keeps U+0000 (SQLite's ->> cuts text there, PostgreSQL refuses it),
    so the fact carries U+FFFD; the digest is still of the event as it was sent."""
    event = XP_EVENT | {"object": XP_EVENT["object"] | {"app": {"name": "A\x00B"}}}
    parsed = parse(value(event), HEADERS)
    assert parsed.fact is not None
    assert parsed.fact.app == "A\ufffdB"
    assert (
        parsed.digest
        != parse(
            value(XP_EVENT | {"object": event["object"] | {"app": {"name": "A\ufffdB"}}}), HEADERS
        ).digest
    )
