"""Reading bodies within limits: media type, encoding, wire size, gzip bombs."""

from __future__ import annotations

import gzip

import pytest
from starlette.types import Message

from ingest.errors import (
    BadGzipError,
    BodyTooLargeError,
    DecompressedTooLargeError,
    IngestError,
    UnsupportedEncodingError,
    UnsupportedMediaTypeError,
)
from ingest.http.body import BodyHeaders, gunzip_limited, read_body


def receiver(*chunks: bytes) -> tuple[list[int], object]:
    calls: list[int] = []

    async def receive() -> Message:
        index = len(calls)
        calls.append(index)
        return {
            "type": "http.request",
            "body": chunks[index],
            "more_body": index < len(chunks) - 1,
        }

    return calls, receive


def headers(**values: str) -> BodyHeaders:
    return BodyHeaders(
        content_type=values.get("content_type", "application/json"),
        content_encoding=values.get("content_encoding", "identity"),
        content_length=values.get("content_length"),
    )


async def read(h: BodyHeaders, *chunks: bytes, limit: int = 100) -> bytes:
    _, receive = receiver(*chunks)
    return await read_body(receive, h, wire_limit=limit, decompressed_limit=limit)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "application/ld+json"]
)
async def test_json_media_types_are_accepted(content_type: str) -> None:
    assert await read(headers(content_type=content_type), b"{}") == b"{}"


@pytest.mark.parametrize(
    ("h", "error"),
    [
        (headers(content_type="text/plain"), UnsupportedMediaTypeError),
        (headers(content_type=""), UnsupportedMediaTypeError),
        (headers(content_encoding="br"), UnsupportedEncodingError),
        (headers(content_length="101"), BodyTooLargeError),
    ],
)
async def test_refused_before_reading(h: BodyHeaders, error: type[IngestError]) -> None:
    calls, receive = receiver(b"{}")
    with pytest.raises(error):
        await read_body(receive, h, wire_limit=100, decompressed_limit=100)  # type: ignore[arg-type]
    assert calls == []


async def test_chunked_body_refused_at_the_chunk_that_crosses_the_limit() -> None:
    calls, receive = receiver(b"a" * 60, b"a" * 60, b"a" * 60)
    with pytest.raises(BodyTooLargeError):
        await read_body(receive, headers(), wire_limit=100, decompressed_limit=100)  # type: ignore[arg-type]
    assert calls == [0, 1]


async def test_chunks_are_joined() -> None:
    assert await read(headers(), b'{"a"', b":1}") == b'{"a":1}'


def test_gzip_round_trip() -> None:
    assert gunzip_limited(gzip.compress(b"x" * 100), 100) == b"x" * 100


def test_gzip_bomb_is_refused_without_expanding_it() -> None:
    bomb = gzip.compress(b"\0" * 50_000_000)
    assert len(bomb) < 100_000
    with pytest.raises(DecompressedTooLargeError):
        gunzip_limited(bomb, 1000)


@pytest.mark.parametrize("data", [b"not gzip", gzip.compress(b"{}")[:-4], gzip.compress(b"{}") * 2])
def test_bad_gzip(data: bytes) -> None:
    with pytest.raises(BadGzipError):
        gunzip_limited(data, 1000)
