"""Limits on the parsed JSON document, checked before the validator spends work on it.

orjson already refuses nesting deeper than 1024, numbers that overflow a double and
invalid UTF-8 (all `malformed_json`). What it accepts can still hurt downstream:
orjson.dumps refuses nesting deeper than 254 when we serialize the record, a 1 MB
string in `extensions` becomes a 1 MB record, and an integer past 2**53 silently
changes value in every JavaScript consumer.

`DocumentLimits` decides yes/no in native code (a depth-bounded JSON Schema compiled
once by jsonschema-rs, about a third of the cost of the Python walk: see
benchmarks/front_door_checks.py); only a document known to break a limit is walked
again in Python to name the culprit. Without the native wheel the yes/no walk is
Python too.
"""

from __future__ import annotations

from typing import Any, Final

from ingest.errors import IngestError

try:
    import jsonschema_rs as native
except ImportError:  # pragma: no cover - the wheel exists for every platform we ship
    native = None  # type: ignore[assignment]

# I-JSON (RFC 7493): integers beyond this are not exchanged exactly; we refuse all
# numbers beyond it, floats included, since no Caliper value needs more.
MAX_SAFE_NUMBER: Final = 2**53 - 1


class TooDeepError(IngestError):
    code = "nesting_too_deep"


class StringTooLongError(IngestError):
    code = "string_too_long"


class NumberOutOfRangeError(IngestError):
    code = "number_out_of_range"


class DocumentLimits:
    """Built once per front door: the compiled check for one pair of limits."""

    def __init__(self, *, max_depth: int, max_string_chars: int) -> None:
        self.max_depth = max_depth
        self.max_string_chars = max_string_chars
        self._native: Any = None
        if native is not None:
            self._native = native.validator_for(limits_schema(max_depth, max_string_chars))

    @property
    def native(self) -> bool:
        return self._native is not None

    def check(self, document: Any) -> None:
        """Raise the first limit the document breaks; paths point at the culprit."""
        if self._native is not None:
            within = bool(self._native.is_valid(document))
        else:
            within = _within(document, self.max_depth, self.max_string_chars)
        if not within:
            _locate(document, self.max_depth, self.max_string_chars)


def limits_schema(max_depth: int, max_string_chars: int) -> dict[str, Any]:
    """A JSON Schema equal to the Python walk: containers at most `max_depth` deep
    (the document itself is depth 1), numbers within +-MAX_SAFE_NUMBER, strings and
    keys of at most `max_string_chars` characters.

    One `$defs` entry per level, each pointing at the next: the last admits scalars only."""
    scalar: dict[str, Any] = {
        "maximum": MAX_SAFE_NUMBER,
        "minimum": -MAX_SAFE_NUMBER,
        "maxLength": max_string_chars,
    }
    levels: dict[str, Any] = {"level0": {**scalar, "type": ["string", "number", "boolean", "null"]}}
    for level in range(1, max_depth + 1):
        below = {"$ref": f"#/$defs/level{level - 1}"}
        levels[f"level{level}"] = {
            **scalar,
            "propertyNames": {"maxLength": max_string_chars},
            "items": below,
            "additionalProperties": below,
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": levels,
        "$ref": f"#/$defs/level{max_depth}",
    }


def check_document(document: Any, *, max_depth: int, max_string_chars: int) -> None:
    """The Python check alone: the reference the native check is tested against."""
    if not _within(document, max_depth, max_string_chars):
        _locate(document, max_depth, max_string_chars)


def _within(document: Any, max_depth: int, max_chars: int) -> bool:
    """The pure-Python yes/no walk with no path bookkeeping (about a third of the cost
    of the locating walk below, which runs only once a limit is known to be broken)."""
    kind = type(document)
    if kind is not dict and kind is not list:
        return _scalar_ok(document, kind, max_chars)
    stack: list[tuple[Any, int]] = [(document, 1)]
    pop, push = stack.pop, stack.append
    high, low = MAX_SAFE_NUMBER, -MAX_SAFE_NUMBER
    while stack:
        value, depth = pop()
        if depth > max_depth:
            return False
        if type(value) is dict:
            if value and max(map(len, value)) > max_chars:
                return False
            items: Any = value.values()
        else:
            items = value
        for item in items:
            kind = type(item)
            if kind is str:
                if len(item) > max_chars:
                    return False
            elif kind is dict or kind is list:
                push((item, depth + 1))
            elif (kind is int or kind is float) and not low <= item <= high:
                return False
    return True


def _scalar_ok(value: Any, kind: type, max_chars: int) -> bool:
    if kind is str:
        return len(value) <= max_chars
    if kind is int or kind is float:
        return bool(-MAX_SAFE_NUMBER <= value <= MAX_SAFE_NUMBER)
    return True


def _locate(document: Any, max_depth: int, max_string_chars: int) -> None:
    """Walk again, keeping paths, and raise the first broken limit found."""
    # (value, depth, path): the path is a tuple of parts, joined only on failure.
    stack: list[tuple[Any, int, tuple[str | int, ...]]] = [(document, 1, ())]
    pop, push = stack.pop, stack.append
    while stack:
        value, depth, path = pop()
        kind = type(value)
        if kind is dict:
            if depth > max_depth:
                raise TooDeepError(_deep(max_depth), path=_path(path))
            for key, item in value.items():
                if len(key) > max_string_chars:
                    raise StringTooLongError(_long(max_string_chars, "key"), path=_path(path))
                item_kind = type(item)
                if item_kind is dict or item_kind is list:
                    push((item, depth + 1, (*path, key)))
                else:
                    _check_scalar(item, item_kind, max_string_chars, path, key)
        elif kind is list:
            if depth > max_depth:
                raise TooDeepError(_deep(max_depth), path=_path(path))
            for index, item in enumerate(value):
                item_kind = type(item)
                if item_kind is dict or item_kind is list:
                    push((item, depth + 1, (*path, index)))
                else:
                    _check_scalar(item, item_kind, max_string_chars, path, index)
        else:
            _check_scalar(value, kind, max_string_chars, (), None)


def _check_scalar(
    value: Any, kind: type, max_chars: int, path: tuple[str | int, ...], part: str | int | None
) -> None:
    if kind is str:
        if len(value) > max_chars:
            where = path if part is None else (*path, part)
            raise StringTooLongError(_long(max_chars, "string"), path=_path(where))
    elif (kind is int or kind is float) and not -MAX_SAFE_NUMBER <= value <= MAX_SAFE_NUMBER:
        where = path if part is None else (*path, part)
        raise NumberOutOfRangeError(
            f"Numbers must be within +-{MAX_SAFE_NUMBER} (2**53 - 1)", path=_path(where)
        )


def _deep(limit: int) -> str:
    return f"JSON nesting deeper than {limit} levels"


def _long(limit: int, what: str) -> str:
    return f"A JSON {what} is longer than {limit} characters"


def _path(parts: tuple[str | int, ...]) -> str:
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part[:60]}"
    return text
