"""The ordered schema versions both stores share, and the check against newer stores."""

from __future__ import annotations

from typing import Final

from consumers.aggregator.store import StoreError

# version -> name, in order. 1 is the layout of the releases before migrations existed:
# a store with `counted_events` but no `schema_migrations` is at version 1.
MIGRATIONS: Final[dict[int, str]] = {1: "opaque_layout", 2: "relational_facts"}
LATEST_VERSION: Final[int] = max(MIGRATIONS)


def check_known(version: int) -> None:
    """Refuse a store written by newer code: guessing at its layout could corrupt it."""
    if version > LATEST_VERSION:
        raise StoreError(
            f"store schema is at version {version}, newer than this release knows"
            f" ({LATEST_VERSION}): run a release that knows version {version}",
            retriable=False,
        )
