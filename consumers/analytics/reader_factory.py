"""The reader for a store URL (the aggregator's URL forms)."""

from __future__ import annotations

from consumers.aggregator.store import store_kind
from consumers.analytics.reader import FactReader


def open_reader(url: str, *, schema: str, timeout_s: float) -> FactReader:
    # Imported here so the process loads only the driver it uses.
    if store_kind(url) == "sqlite":
        from consumers.analytics.sqlite_reader import SqliteReader

        return SqliteReader(url.removeprefix("sqlite://"), timeout_s=timeout_s)
    from consumers.analytics.postgres_reader import PostgresReader

    return PostgresReader(url, schema=schema, timeout_s=timeout_s)
