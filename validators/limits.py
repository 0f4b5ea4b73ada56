"""Limits on a parsed JSON document, checked before the validator spends work on it.

orjson already refuses nesting deeper than 1024, numbers that overflow a double and
invalid UTF-8. What it accepts can still hurt downstream: orjson.dumps refuses nesting
deeper than 254 when the record is serialized, a 1 MB string in `extensions` becomes a
1 MB record, and an integer past 2**53 silently changes value in every JavaScript
consumer.

`DocumentLimits.check` decides yes/no in native code (validators/limits_schema.py: a
depth-bounded JSON Schema compiled once by jsonschema-rs); only a document known to
break a limit is walked again in Python to name the culprit. Without the native wheel
the yes/no walk is Python too. On the hot path the same limits are folded into the
envelope's own schema (validators/screen.py), so a valid envelope is walked once.
"""

from __future__ import annotations

from typing import Any, Final

from validators.engines import native_module
from validators.limits_schema import MAX_SAFE_NUMBER, limits_schema

TOO_DEEP: Final = "nesting_too_deep"
STRING_TOO_LONG: Final = "string_too_long"
NUMBER_OUT_OF_RANGE: Final = "number_out_of_range"


class DocumentLimitError(ValueError):
    """The first limit a document breaks: a stable `code`, the culprit's JSON `path`."""

    def __init__(self, code: str, message: str, path: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path


class DocumentLimits:
    """Built once per front door: the compiled check for one pair of limits."""

    def __init__(self, *, max_depth: int, max_string_chars: int) -> None:
        if max_depth < 1 or max_string_chars < 1:
            raise ValueError("max_depth and max_string_chars must be at least 1")
        self.max_depth = max_depth
        self.max_string_chars = max_string_chars
        module = native_module()
        self._native: Any = None
        if module is not None:
            self._native = module.validator_for(limits_schema(max_depth, max_string_chars))

    @property
    def native(self) -> bool:
        return self._native is not None

    def check(self, document: Any) -> None:
        """Raise DocumentLimitError for the first limit the document breaks."""
        if self._native is not None:
            within = bool(self._native.is_valid(document))
        else:
            within = _within(document, self.max_depth, self.max_string_chars)
        if not within:
            _locate(document, self.max_depth, self.max_string_chars)


def check_document(document: Any, *, max_depth: int, max_string_chars: int) -> None:
    """The Python check alone: the reference the native checks are tested against."""
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
                raise DocumentLimitError(TOO_DEEP, _deep(max_depth), _path(path))
            for key, item in value.items():
                if len(key) > max_string_chars:
                    raise DocumentLimitError(
                        STRING_TOO_LONG, _long(max_string_chars, "key"), _path(path)
                    )
                item_kind = type(item)
                if item_kind is dict or item_kind is list:
                    push((item, depth + 1, (*path, key)))
                else:
                    _check_scalar(item, item_kind, max_string_chars, path, key)
        elif kind is list:
            if depth > max_depth:
                raise DocumentLimitError(TOO_DEEP, _deep(max_depth), _path(path))
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
    where = path if part is None else (*path, part)
    if kind is str:
        if len(value) > max_chars:
            raise DocumentLimitError(STRING_TOO_LONG, _long(max_chars, "string"), _path(where))
    elif (kind is int or kind is float) and not -MAX_SAFE_NUMBER <= value <= MAX_SAFE_NUMBER:
        message = f"Numbers must be within +-{MAX_SAFE_NUMBER} (2**53 - 1)"
        raise DocumentLimitError(NUMBER_OUT_OF_RANGE, message, _path(where))


def _deep(limit: int) -> str:
    return f"JSON nesting deeper than {limit} levels"


def _long(limit: int, what: str) -> str:
    return f"A JSON {what} is longer than {limit} characters"


def _path(parts: tuple[str | int, ...]) -> str:
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part[:60]}"
    return text
