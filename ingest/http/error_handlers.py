"""Reshape FastAPI's and Starlette's own errors to the contract's error body."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ingest.errors import error_response

logger = logging.getLogger(__name__)

# Stable codes for the HTTP statuses Starlette raises by itself.
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def _loc_to_path(loc: tuple[int | str, ...]) -> str:
    path = "$"
    for part in loc[1:] if loc and loc[0] == "body" else loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    entries = [
        {
            "index": None,
            "path": _loc_to_path(tuple(error.get("loc", ()))),
            "code": "invalid_request",
            "message": str(error.get("msg", "invalid")),
        }
        for error in exc.errors()
    ]
    return error_response(400, "Request is invalid", entries)


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    entry = {"index": None, "path": "$", "code": code, "message": str(exc.detail)}
    return error_response(exc.status_code, str(exc.detail), [entry], retry_after_s=None)


async def _unexpected(_: Request, exc: Exception) -> Response:
    # A bug, never bad input: bad input has its own codes above and in ingest.errors.
    logger.exception("unexpected error", exc_info=exc)
    entry = {"index": None, "path": "$", "code": "internal_error", "message": "Internal error"}
    return error_response(500, "Internal error", [entry])


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
