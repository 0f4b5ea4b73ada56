"""Per-batch decisions: counted, duplicate, conflict; the first version wins."""

from __future__ import annotations

from consumers.aggregator.batch import Candidate, decide, first_versions
from consumers.aggregator.facts import Fact
from consumers.aggregator.records import Kind, Parsed


def candidate(event_id: str, digest: bytes, offset: int) -> Candidate:
    fact = Fact(
        event_id=event_id,
        event_type="ActivityEvent",
        event_time="2026-02-10T10:00:00Z",
        date="2026-02-10",
        student_id="s",
        student_sourced_id=None,
        email=None,
        subject="Math",
        app=None,
        course_id=None,
        course_name=None,
        activity_id=None,
        activity_name=None,
    )
    return Candidate(Parsed(Kind.FACT, "ActivityEvent", None, fact, digest), 0, offset)


def test_new_ids_are_counted_once_and_repeats_are_duplicates() -> None:
    batch = [candidate("a", b"1", 0), candidate("b", b"2", 1), candidate("a", b"1", 2)]
    first = first_versions(batch)
    outcome = decide(batch, first, known={})
    assert [c.offset for c in outcome.counted] == [0, 1]
    assert [c.offset for c in outcome.duplicates] == [2]
    assert outcome.conflicts == []


def test_same_id_different_content_in_one_batch_first_wins() -> None:
    batch = [candidate("a", b"1", 0), candidate("a", b"2", 1)]
    outcome = decide(batch, first_versions(batch), known={})
    assert [c.offset for c in outcome.counted] == [0]
    assert [(c.offset, kept) for c, kept in outcome.conflicts] == [(1, b"1")]


def test_the_stored_version_wins_over_the_batch() -> None:
    batch = [candidate("a", b"2", 0), candidate("a", b"1", 1), candidate("b", b"9", 2)]
    outcome = decide(batch, first_versions(batch), known={"a": b"1", "b": b"9"})
    assert outcome.counted == []
    assert [c.offset for c in outcome.duplicates] == [1, 2]
    assert [(c.offset, kept) for c, kept in outcome.conflicts] == [(0, b"1")]
