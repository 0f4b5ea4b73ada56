"""The store: counted event ids, running totals and consumed offsets, changed together.

One small interface, two implementations (SQLite for one process, PostgreSQL for a
group of processes; `store_factory.open_store` picks one). A batch is one transaction:
`claim` the event ids, `add_facts` and `add_totals` for the counted ones, `save_offsets`,
then leaving the `transaction()` block commits (an exception rolls back). The tables
and their versions: consumers.aggregator.migrations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from consumers.aggregator.facts import Fact
from consumers.aggregator.folding import DailyKey, Totals


class StoreError(Exception):
    """The store refused or failed; `retriable` says whether the batch may be tried again."""

    def __init__(self, message: str, *, retriable: bool = True) -> None:
        super().__init__(message)
        self.retriable = retriable


class StoreTransaction(Protocol):
    async def claim(self, events: Sequence[tuple[str, bytes]]) -> dict[str, bytes]:
        """Record (event id, digest) pairs whose id is new. Returns the stored digest of
        every id that was already there: those events are not counted again."""

    async def add_facts(self, facts: Sequence[Fact]) -> None:
        """One `facts` row per counted event (ids just claimed, so none is there yet)."""

    async def add_totals(self, deltas: Mapping[DailyKey, Totals]) -> list[Totals]:
        """Add each delta to its key's totals; return the new absolute totals."""

    async def save_offsets(self, topic: str, offsets: Mapping[int, int], source: str) -> None:
        """Next offset to read per partition, for the broker identified by `source`."""


class Store(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    def transaction(self) -> AbstractAsyncContextManager[StoreTransaction]: ...

    async def ping(self) -> None:
        """A trivial query (readiness): raises StoreError when the store does not answer."""

    async def load_offsets(self, topic: str) -> dict[int, tuple[int, str]]:
        """Stored (next offset, source) per partition of `topic`."""

    async def all_totals(self) -> list[Totals]:
        """Every key's totals (tests and inspection; not on the hot path)."""


def store_kind(url: str) -> str:
    """`sqlite` or `postgresql`, from a URL such as `sqlite:///var/lib/agg.db`."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        return "sqlite"
    if scheme in {"postgresql", "postgres"}:
        return "postgresql"
    raise StoreError(f"unsupported store URL scheme {scheme!r}", retriable=False)
