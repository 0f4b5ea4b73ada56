"""What `up` offers to paste: `caliper-pipeline try`, and the example it posts."""

from __future__ import annotations

import os
import shlex
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ingest.http.openapi import contract


def example_envelope() -> dict[str, Any]:
    """The contract's first example as a new event: a fresh id and the time now, so each
    try is counted (the same id with other content would be a conflict, not counted)."""
    envelope: dict[str, Any] = orjson.loads(
        orjson.dumps(contract()["examples"]["example1"]["value"])
    )
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    event = envelope["data"][0]
    event["id"] = f"urn:uuid:{uuid.uuid4()}"
    event["eventTime"] = now
    envelope["sendTime"] = now
    return envelope


def command_line(*args: str) -> str:
    """This installation's `caliper-pipeline`, as short as the current directory allows."""
    script = Path(sys.executable).parent / "caliper-pipeline"
    if script.exists():
        relative = os.path.relpath(script)
        words = [relative if not relative.startswith("..") else str(script)]
    else:
        words = [sys.executable, "-m", "caliper_pipeline"]
    return shlex.join([*words, *args])
