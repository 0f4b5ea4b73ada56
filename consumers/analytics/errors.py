"""Errors of the analytics service and their one wire shape (the front door's)."""

from __future__ import annotations

from typing import Any, Final

import orjson
from starlette.responses import Response

JSON: Final = "application/json"


class AnalyticsError(Exception):
    """Root of the service's errors: an HTTP status, a stable code and the parameter."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, path: str = "$.query", code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        if code is not None:
            self.code = code

    def entry(self) -> dict[str, Any]:
        return {"index": None, "path": self.path, "code": self.code, "message": self.message}


class ParameterError(AnalyticsError):
    """400: a query parameter is missing, malformed or out of range."""


class StoreUnavailableError(AnalyticsError):
    """503: the store did not answer (down, missing, too slow); worth retrying."""

    status = 503
    code = "store_unavailable"


class InternalError(AnalyticsError):
    """500: a fault of ours (a bug, a store value we cannot read); logged with its trace."""

    status = 500
    code = "internal_error"


class AuthorizationError(AnalyticsError):
    """401 or 403, with the RFC 6750 challenge the shell's authenticator produced."""

    def __init__(self, message: str, *, status: int, code: str, challenge: str) -> None:
        super().__init__(message, path="$.headers.authorization", code=code)
        self.status = status
        self.challenge = challenge


def error_response(errors: list[AnalyticsError], message: str | None = None) -> Response:
    """`{"status": "error", "message", "errors"}`: the status of the first error."""
    first = errors[0]
    body = {
        "status": "error",
        "message": message or first.message,
        "errors": [error.entry() for error in errors],
    }
    headers: dict[str, str] = {}
    if isinstance(first, AuthorizationError):
        headers["WWW-Authenticate"] = first.challenge
    if isinstance(first, StoreUnavailableError):
        headers["Retry-After"] = "5"
    return Response(orjson.dumps(body), status_code=first.status, media_type=JSON, headers=headers)
