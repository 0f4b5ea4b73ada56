"""A pure ASGI wrapper that answers the two ingest routes before FastAPI's whole stack.

Measured on this machine, FastAPI's routing, dependency and response layers cost about
as much per request as everything the front door does for a 1-event envelope. The
routes stay registered in FastAPI (same core, same answers) so /openapi.json and /docs
describe them; this middleware only takes the fast way to the same code.
"""

from __future__ import annotations

import logging
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send

from ingest.errors import body
from ingest.http.routes import EVENT_PATH, VALIDATE_PATH, Answer, IngestHandlers

_JSON_HEADER: Final = (b"content-type", b"application/json")
_INTERNAL: Final = {
    "index": None,
    "path": "$",
    "code": "internal_error",
    "message": "Internal error",
}

logger = logging.getLogger(__name__)


class IngestShortcut:
    def __init__(self, app: ASGIApp, *, handlers: IngestHandlers) -> None:
        self.app = app
        self.handlers = handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path == EVENT_PATH:
            publish = True
        elif path == VALIDATE_PATH:
            publish = False
        else:
            await self.app(scope, receive, send)
            return
        try:
            answer = await self.handlers.handle(scope, receive, publish=publish)
        except Exception:
            # Outside FastAPI's error middleware, so answer a bug the way it would.
            logger.exception("unexpected error")
            answer = Answer(500, body("error", "Internal error", [_INTERNAL]))
        headers = [_JSON_HEADER, (b"content-length", str(len(answer.body)).encode())]
        headers.extend((k.lower().encode(), v.encode()) for k, v in answer.headers.items())
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})
