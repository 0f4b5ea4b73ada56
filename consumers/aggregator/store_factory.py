"""The store for a URL: the one module that knows both implementations."""

from __future__ import annotations

from consumers.aggregator.store import Store, store_kind


def open_store(url: str, *, schema: str = "aggregator") -> Store:
    """A store for `url`; `schema` names the PostgreSQL schema (ignored by SQLite)."""
    # Imported here so each process loads only the driver it uses.
    if store_kind(url) == "sqlite":
        from consumers.aggregator.sqlite_store import SqliteStore

        # sqlite:///abs/path.db is absolute, sqlite://rel/path.db relative to the cwd.
        return SqliteStore(url.removeprefix("sqlite://") or ":memory:")
    from consumers.aggregator.postgres_store import PostgresStore

    return PostgresStore(url, schema=schema)
