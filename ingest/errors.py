"""The one place that maps front-door errors to HTTP answers of the contract's shape."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import orjson
from starlette.responses import Response

JSON: Final = "application/json"


class IngestError(Exception):
    """Root of the front door's errors; each carries its HTTP status and a stable code.

    `retriable` tells the client (through 503 + Retry-After) that the same request
    may succeed later, as aiokafka's errors do.
    """

    status: int = 400
    code: str = "bad_request"
    retriable: bool = False

    def __init__(self, message: str, *, path: str = "$") -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def entry(self) -> dict[str, Any]:
        return {"index": None, "path": self.path, "code": self.code, "message": self.message}


class MalformedJsonError(IngestError):
    code = "malformed_json"


class DocumentLimitExceededError(IngestError):
    """A parsed body breaks a document limit (validators/limits.py): depth, string or
    key length, number range; the code is the limit's."""

    def __init__(self, code: str, message: str, *, path: str) -> None:
        super().__init__(message, path=path)
        self.code = code


class BodyTooLargeError(IngestError):
    status = 413
    code = "body_too_large"


class DecompressedTooLargeError(IngestError):
    status = 413
    code = "decompressed_body_too_large"


class UnsupportedMediaTypeError(IngestError):
    status = 415
    code = "unsupported_media_type"


class UnsupportedEncodingError(IngestError):
    status = 415
    code = "unsupported_content_encoding"


class BadGzipError(IngestError):
    code = "malformed_gzip"


class PublishError(IngestError):
    """The broker did not acknowledge every record in time: nothing was promised.

    Some of the envelope's events may be stored (the rest of a batch can land after the
    timeout), so a client must retry with the same event ids: consumers drop repeats by
    id, while new ids would count the same learning twice."""

    status = 503
    code = "broker_unavailable"
    retriable = True
    # Set where the records were handed to the producer before the failure.
    maybe_stored = False


class OverloadedError(PublishError):
    """Refused before anything was handed to the producer."""

    code = "overloaded"


RETRY_SAME_IDS: Final = "retry with the same event ids"


def body(status: str, message: str, errors: Iterable[Mapping[str, Any]] = ()) -> bytes:
    return orjson.dumps({"status": status, "message": message, "errors": list(errors)})


def json_response(
    status_code: int, content: bytes, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(content, status_code=status_code, media_type=JSON, headers=headers)


def error_response(
    status_code: int,
    message: str,
    errors: Iterable[Mapping[str, Any]],
    *,
    retry_after_s: int | None = None,
) -> Response:
    headers = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else None
    return json_response(status_code, body("error", message, errors), headers)
