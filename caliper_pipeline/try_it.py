"""The ready-to-paste curl that `up` prints."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime
from typing import Any

import orjson

from ingest.http.openapi import contract


def example_envelope() -> dict[str, Any]:
    """The contract's first example, sent now."""
    envelope: dict[str, Any] = dict(contract()["examples"]["example1"]["value"])
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    envelope["sendTime"] = now
    return envelope


def curl_example(base_url: str, *, credentials: tuple[str, str] | None = None) -> str:
    """One shell line: with credentials, get a token (as the Timeback docs' curl does)
    and post with it; `sed` picks the token so the line needs nothing but curl."""
    payload = orjson.dumps(example_envelope()).decode()
    post = (
        f"curl -sS -X POST {base_url}/caliper/event "
        f"-H 'Content-Type: application/json' -d {shlex.quote(payload)}"
    )
    if credentials is None:
        return post
    client_id, secret = credentials
    form = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
    token = (
        f"TOKEN=$(curl -sS -X POST {base_url}/oauth2/token "
        f"-H 'Content-Type: application/x-www-form-urlencoded' -d {shlex.quote(form)} "
        """| sed -E 's/.*"access_token":"([^"]+)".*/\\1/')"""
    )
    return f'{token} && {post} -H "Authorization: Bearer $TOKEN"'
