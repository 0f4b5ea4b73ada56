"""The ready-to-paste curl that `up` prints."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime
from typing import Any

import orjson

from ingest.openapi import contract


def example_envelope() -> dict[str, Any]:
    """The contract's first example, sent now."""
    envelope: dict[str, Any] = dict(contract()["examples"]["example1"]["value"])
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    envelope["sendTime"] = now
    return envelope


def curl_example(base_url: str) -> str:
    payload = orjson.dumps(example_envelope()).decode()
    return (
        f"curl -sS -X POST {base_url}/caliper/event "
        f"-H 'Content-Type: application/json' -d {shlex.quote(payload)}"
    )
