"""How a request is read: header size, header and body timeouts, connection caps.

uvicorn's httptools protocol bounds none of these: a client may send megabytes of
headers, dribble them at one byte a second, declare a body it never finishes or hold
a thousand idle connections, each costing memory and a file descriptor. This protocol
is uvicorn's own with those bounds added, answering as a public web server does (431,
408, 503, each with our JSON error body and `Connection: close`). Idle keep-alive time
stays uvicorn's `timeout_keep_alive`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Final

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ingest.errors import body

logger = logging.getLogger(__name__)

# How long a refused connection keeps reading (and dropping) before it closes.
LINGER_S: Final = 1.0

_REASONS: Final = {
    408: b"Request Timeout",
    431: b"Request Header Fields Too Large",
    503: b"Service Unavailable",
}


@dataclass(frozen=True)
class EdgeLimits:
    max_header_bytes: int
    header_timeout_s: float
    body_timeout_s: float
    max_connections: int
    max_requests_per_connection: int  # 0: no limit


def guarded_protocol(limits: EdgeLimits) -> type[HttpToolsProtocol]:
    """uvicorn's `http=` takes a protocol class; this one carries the limits."""
    return type("GuardedHttpToolsProtocol", (GuardedHttpToolsProtocol,), {"limits": limits})


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    limits: EdgeLimits

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._awaiting_headers = True
        self._header_bytes = 0
        self._requests = 0
        self._timer: asyncio.TimerHandle | None = None
        self._refused = False

    # Connection
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self._refuse(
                503,
                "too_many_connections",
                "The server has too many open connections",
                linger=False,  # nothing read yet; a lingering slot is what we lack
            )
            return
        self._arm(self.limits.header_timeout_s, "headers")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # lingering after our answer: drop what the client still sends
        if self._awaiting_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if self._awaiting_headers and self._header_bytes > self.limits.max_header_bytes:
            self._refuse_headers()

    # Parser callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._awaiting_headers = True
        if self._timer is None:  # a keep-alive request: its own header timeout
            self._header_bytes = 0
            self._arm(self.limits.header_timeout_s, "headers")

    def on_headers_complete(self) -> None:
        self._awaiting_headers = False
        self._disarm()
        # Headers that arrived within one read are measured once, here, from what the
        # parser kept (": " and CRLF per header), not by a callback per header.
        parsed = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if parsed > self.limits.max_header_bytes:
            self._refuse_headers()  # before the app sees the request
            return
        super().on_headers_complete()
        self._requests += 1
        cap = self.limits.max_requests_per_connection
        if cap and self._requests >= cap and self.cycle is not None:
            self.cycle.keep_alive = False  # answered with Connection: close
        self._arm(self.limits.body_timeout_s, "body")

    def on_body(self, chunk: bytes) -> None:
        if not self._refused:  # a refused request's body is dropped
            super().on_body(chunk)

    def on_message_complete(self) -> None:
        self._disarm()
        if not self._refused:
            super().on_message_complete()

    # Limits
    def _arm(self, seconds: float, phase: str) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._timed_out, phase)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self, phase: str) -> None:
        self._timer = None
        if self._refused or self.transport.is_closing():
            return
        seconds = self.limits.header_timeout_s if phase == "headers" else self.limits.body_timeout_s
        if self.cycle is not None and self.cycle.response_started:
            self._refused = True
            self.transport.close()  # too late for an answer of our own
            return
        self._refuse(408, "request_timeout", f"The request {phase} took longer than {seconds:g} s")

    def _refuse_headers(self) -> None:
        limit = self.limits.max_header_bytes
        self._refuse(431, "headers_too_large", f"Request headers are larger than {limit} bytes")

    def _refuse(self, status: int, code: str, message: str, *, linger: bool = True) -> None:
        """Answer and close. A client still sending (a large header, a body) would get a
        reset instead of our answer if we closed at once, so unless told otherwise we
        close our side for writing, drop what still arrives for LINGER_S, then close."""
        if self._refused or self.transport.is_closing():
            return
        self._refused = True
        self._disarm()
        content = body(
            "error", message, [{"index": None, "path": "$", "code": code, "message": message}]
        )
        head = (
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n" % (status, _REASONS[status], len(content))
        )
        logger.info("answering %d %s to %s and closing", status, code, self.client)
        self.transport.write(head + content)
        if linger and self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_S, self.transport.close)
        else:
            self.transport.close()
