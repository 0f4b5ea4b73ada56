"""The dead-letter record: the event, the request and the answer; pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from consumers.oneroster.errors import MalformedRecordError, OneRosterError, WriteFailedError

DLQ_RECORD_VERSION: Final = b"1"
HEADER_REASON: Final = "dlq-reason"
HEADER_RECORD_VERSION: Final = "record-version"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a record came from and what it held, as the DLQ keeps it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]
    replays: int = 0


def dead_letter(
    source: Source, error: OneRosterError
) -> tuple[bytes | None, bytes, list[tuple[str, bytes]]]:
    """(key, value, headers) of the DLQ record for `source` failing with `error`."""
    event: Any
    try:
        event = orjson.loads(source.value) if source.value is not None else None
        event_text = None
    except orjson.JSONDecodeError:
        event, event_text = (
            None,
            source.value.decode("utf-8", errors="replace") if source.value else None,
        )
    value: dict[str, Any] = {
        "reason": error.code,
        "message": str(error),
        "deadLetteredAt": datetime.now(UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "replays": source.replays,
        "source": {
            "topic": source.topic,
            "partition": source.partition,
            "offset": source.offset,
            "headers": {name: raw.decode("utf-8", "replace") for name, raw in source.headers},
        },
        # The record value exactly as read: replay feeds it back through the same path.
        "record": event,
        "recordText": event_text,
    }
    if isinstance(error, WriteFailedError):
        value["request"] = error.request
        value["response"] = error.response
        value["attempts"] = error.attempts
    headers = [(HEADER_REASON, error.code.encode()), (HEADER_RECORD_VERSION, DLQ_RECORD_VERSION)]
    return source.key, orjson.dumps(value), headers


def source_of_dead_letter(key: bytes | None, value: bytes | None) -> Source:
    """The original record inside a DLQ record, to re-drive it."""
    try:
        letter = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        raise MalformedRecordError("DLQ record is not JSON", code="malformed_dead_letter") from None
    if not isinstance(letter, dict) or letter.get("record") is None:
        raise MalformedRecordError(
            "DLQ record holds no readable original record", code="malformed_dead_letter"
        )
    origin = letter.get("source") if isinstance(letter.get("source"), dict) else {}
    assert isinstance(origin, dict)
    raw_headers = origin.get("headers") if isinstance(origin.get("headers"), dict) else {}
    assert isinstance(raw_headers, dict)
    return Source(
        topic=str(origin.get("topic", "")),
        partition=int(origin.get("partition", -1)),
        offset=int(origin.get("offset", -1)),
        key=key,
        value=orjson.dumps(letter["record"]),
        headers=[(str(name), str(text).encode()) for name, text in raw_headers.items()],
        replays=int(letter.get("replays", 0)) + 1,
    )
