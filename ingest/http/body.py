"""Read a request body within limits: wire size, media type, gzip and its expanded size."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Final

from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope

from ingest.errors import (
    BadGzipError,
    BodyTooLargeError,
    DecompressedTooLargeError,
    UnsupportedEncodingError,
    UnsupportedMediaTypeError,
)

# gzip framing (header and trailer) rather than raw deflate.
_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS


@dataclass(frozen=True, slots=True)
class BodyHeaders:
    """The three request headers the body reader needs, lower-cased."""

    content_type: str = ""
    content_encoding: str = "identity"
    content_length: str | None = None

    @classmethod
    def of(cls, scope: Scope) -> BodyHeaders:
        # One pass over the raw ASGI headers: cheaper than building starlette Headers.
        content_type, encoding, length = "", "identity", None
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value.decode("latin-1").lower()
            elif name == b"content-encoding":
                encoding = value.decode("latin-1").strip().lower()
            elif name == b"content-length":
                length = value.decode("latin-1").strip()
        return cls(content_type, encoding, length)


def check_media_type(headers: BodyHeaders) -> None:
    """Only JSON: `application/json` with any parameters, or a `+json` suffix type."""
    raw = headers.content_type
    media_type = raw.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        shown = media_type or "none"
        raise UnsupportedMediaTypeError(
            f"Content-Type must be application/json, got {shown}", path="$"
        )


def content_encoding(headers: BodyHeaders) -> str:
    encoding = headers.content_encoding
    if encoding not in ("identity", "gzip", ""):
        raise UnsupportedEncodingError(
            f"Content-Encoding {encoding[:40]!r} is not supported; use gzip or none"
        )
    return "gzip" if encoding == "gzip" else "identity"


async def read_limited(receive: Receive, headers: BodyHeaders, limit: int) -> bytes:
    """The body as sent, refused as soon as it is known to exceed `limit` bytes.

    A declared Content-Length over the limit is refused before reading anything; a
    chunked body is refused at the first chunk that crosses the limit, so a client
    cannot make the server buffer more than `limit` bytes.
    """
    declared = headers.content_length
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(f"Body of {declared} bytes exceeds the limit of {limit} bytes")
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientDisconnect()
    first: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        # The common case: one chunk, no copy.
        if len(first) > limit:
            raise BodyTooLargeError(f"Body exceeds the limit of {limit} bytes")
        return first
    chunks = [first]
    size = len(first)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(f"Body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def gunzip_limited(data: bytes, limit: int) -> bytes:
    """Decompress gzip without ever holding more than `limit` + 1 bytes of output,
    so a small bomb that expands to gigabytes is a 413, not an out-of-memory."""
    decompressor = zlib.decompressobj(_GZIP_WBITS)
    try:
        out = decompressor.decompress(data, limit + 1)
    except zlib.error as exc:
        raise BadGzipError(f"Body is not valid gzip: {exc}") from exc
    if len(out) > limit:
        raise DecompressedTooLargeError(f"Decompressed body exceeds the limit of {limit} bytes")
    if not decompressor.eof:
        raise BadGzipError("Body is truncated gzip")
    if decompressor.unused_data:
        # Concatenated gzip members are legal but no client needs them here.
        raise BadGzipError("Body has data after the end of the gzip stream")
    return out


async def read_body(
    receive: Receive, headers: BodyHeaders, *, wire_limit: int, decompressed_limit: int
) -> bytes:
    """Check the media type and encoding first, then read (and maybe gunzip) the body."""
    check_media_type(headers)
    encoding = content_encoding(headers)
    raw = await read_limited(receive, headers, wire_limit)
    if encoding == "gzip":
        return gunzip_limited(raw, decompressed_limit)
    return raw
