"""Ordered, versioned schema migrations for both stores (see docs/aggregator.md)."""

from consumers.aggregator.columns import METRIC_COLUMNS
from consumers.aggregator.migrations.postgres import migrate_postgres
from consumers.aggregator.migrations.sqlite import migrate_sqlite
from consumers.aggregator.migrations.versions import LATEST_VERSION, MIGRATIONS

__all__ = ["LATEST_VERSION", "METRIC_COLUMNS", "MIGRATIONS", "migrate_postgres", "migrate_sqlite"]
