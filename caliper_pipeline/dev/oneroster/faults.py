"""Faults on demand: latency, an HTTP status (429 with Retry-After, 500, 401...), or a
dropped connection, for the next N matching requests. A pure ASGI middleware."""

# ruff: noqa: N815 - the models mirror the wire format's camelCase field names.
from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any, Final, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from caliper_pipeline.dev.oneroster.shapes import error_body

ADMIN_PREFIX: Final = "/_dev/"
GRADEBOOK_PREFIX: Final = "/ims/oneroster/"
_CODE_MINOR: Final = {401: "unauthorisedrequest", 429: "server_busy", 500: "internal_server_error"}


class Fault(BaseModel):
    """One fault rule, as posted to `POST /_dev/faults`."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["latency", "status", "drop"]
    count: int = Field(default=1, ge=1, description="How many matching requests it hits.")
    target: Literal["gradebook", "token", "any"] = "gradebook"
    method: str | None = Field(default=None, description="Only this HTTP method (e.g. PUT).")
    pathContains: str | None = Field(default=None, description="Only paths containing this.")
    seconds: float = Field(default=0.0, ge=0, le=60, description="latency: the delay.")
    status: int = Field(default=500, ge=400, le=599, description="status: the answer.")
    retryAfter: int | None = Field(default=None, ge=0, description="status: Retry-After.")


class FaultPlan:
    """The queued rules; the first matching rule with hits left applies."""

    def __init__(self, token_path: str) -> None:
        self._token_path = token_path
        self._rules: list[list[Any]] = []  # [fault, hits left]
        self.hits: Counter[str] = Counter()

    def add(self, fault: Fault) -> None:
        self._rules.append([fault, fault.count])

    def clear(self) -> None:
        self._rules.clear()

    @property
    def pending(self) -> int:
        return sum(left for _fault, left in self._rules)

    def take(self, method: str, path: str) -> Fault | None:
        for rule in self._rules:
            fault: Fault = rule[0]
            if self._matches(fault, method, path):
                rule[1] -= 1
                if rule[1] <= 0:
                    self._rules.remove(rule)
                self.hits[fault.kind if fault.kind != "status" else str(fault.status)] += 1
                return fault
        return None

    def _matches(self, fault: Fault, method: str, path: str) -> bool:
        if fault.target == "gradebook" and not path.startswith(GRADEBOOK_PREFIX):
            return False
        if fault.target == "token" and path != self._token_path:
            return False
        if fault.method and fault.method.upper() != method:
            return False
        return not (fault.pathContains and fault.pathContains not in path)


class FaultInjector:
    """Applies the plan to every request except the admin endpoints."""

    def __init__(self, app: ASGIApp, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        fault = self.plan.take(scope["method"], scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
        elif fault.kind == "latency":
            await asyncio.sleep(fault.seconds)
            await self.app(scope, receive, send)
        elif fault.kind == "status":
            await _answer(send, fault)
        else:
            await _drop(receive, send)


async def _answer(send: Send, fault: Fault) -> None:
    code_minor = _CODE_MINOR.get(fault.status, "invalid_data")
    body = orjson.dumps(error_body(f"injected fault: {fault.status}", code_minor))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if fault.retryAfter is not None:
        headers.append((b"retry-after", str(fault.retryAfter).encode()))
    if fault.status == 401:
        headers.append((b"www-authenticate", b'Bearer error="invalid_token"'))
    await send({"type": "http.response.start", "status": fault.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drop(receive: Receive, send: Send) -> None:
    """Close the connection without an answer, as a crashing proxy would.

    ASGI has no "abort" message. uvicorn's `receive` is a method of its per-request
    cycle, which holds the transport: abort that. Elsewhere, start an answer and never
    finish it, which makes the server close the connection mid-response.
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        transport.abort()
        # Let connection_lost run, so the server sees a disconnect, not a bug of ours.
        for _ in range(3):
            await asyncio.sleep(0)
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]}
    )
