"""Deciding, per batch, which events are counted, duplicates or conflicts: pure.

The first version of an id wins: the one already in the store, else the first in
the batch (records of one partition are in offset order; one student's events share
a partition, being keyed by actor.id).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from consumers.aggregator.facts import Fact
from consumers.aggregator.records import Parsed


@dataclass(slots=True)
class Candidate:
    """A parsed fact record and where it was read (treat as immutable; not `frozen`,
    whose __init__ is slow, and this is built once per record)."""

    parsed: Parsed
    partition: int
    offset: int

    @property
    def fact(self) -> Fact:
        assert self.parsed.fact is not None  # only Kind.FACT records become candidates
        return self.parsed.fact

    @property
    def event_id(self) -> str:
        return self.fact.event_id


@dataclass(slots=True)
class Outcome:
    counted: list[Candidate] = field(default_factory=list)
    duplicates: list[Candidate] = field(default_factory=list)
    # The refused candidate and the digest of the version that was counted.
    conflicts: list[tuple[Candidate, bytes]] = field(default_factory=list)


def first_versions(candidates: Iterable[Candidate]) -> dict[str, Candidate]:
    """The first candidate of each id in the batch: what the store is asked to claim."""
    first: dict[str, Candidate] = {}
    for candidate in candidates:
        first.setdefault(candidate.event_id, candidate)
    return first


def decide(
    candidates: Iterable[Candidate],
    first: Mapping[str, Candidate],
    known: Mapping[str, bytes],
) -> Outcome:
    """`known` is the store's digest for each id it had before this batch."""
    outcome = Outcome()
    for candidate in candidates:
        event_id = candidate.event_id
        stored = known.get(event_id)
        if stored is None and first[event_id] is candidate:
            outcome.counted.append(candidate)
            continue
        winner = stored if stored is not None else first[event_id].parsed.digest
        if candidate.parsed.digest == winner:
            outcome.duplicates.append(candidate)
        else:
            outcome.conflicts.append((candidate, winner))
    return outcome
