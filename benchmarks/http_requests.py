"""What benchmarks/http.py sends: distinct envelopes of documentation events, as
prebuilt HTTP/1.1 requests, with or without a bearer token."""

from __future__ import annotations

import uuid
from typing import Any, Final

import orjson

from benchmarks.http_processes import HOST
from benchmarks.loadgen import build_request
from ingest.http.openapi import contract

USERS: Final = 1000
PATH: Final = "/caliper/event"


def envelopes(events_per_envelope: int, variants: int) -> list[bytes]:
    """Distinct envelopes of documentation events, one id per event, 1,000 students."""
    examples = [e["value"] for e in contract()["examples"].values()]
    bodies = []
    for v in range(variants):
        data = []
        for i in range(events_per_envelope):
            event: dict[str, Any] = orjson.loads(orjson.dumps(examples[(v + i) % 8]["data"][0]))
            event["id"] = f"urn:uuid:{uuid.uuid4()}"
            user = (v * events_per_envelope + i) % USERS
            event["actor"]["id"] = (
                f"https://api.alpha-1edtech.ai/ims/oneroster/rostering/v1p2/users/{user:08d}"
            )
            data.append(event)
        envelope = dict(examples[0], data=data, sendTime="2026-02-10T15:04:05.000Z")
        bodies.append(orjson.dumps(envelope))
    return bodies


def prebuilt_requests(port: int, size: int, *, token: str | None) -> list[bytes]:
    """200 distinct 1-event envelopes or 40 distinct ones of `size` events."""
    headers = [("Authorization", f"Bearer {token}")] if token else []
    bodies = envelopes(size, 200 if size == 1 else 40)
    return [build_request(HOST, port, PATH, b, headers=headers) for b in bodies]
