"""Turn jsonschema's errors into precise, stable ValidationIssues.

Codes come from the failing keyword, refined by an `x-error-code` annotation
on the schema that failed (for example `action_type_mismatch` on an action
`const`), or by the format name. Messages name what was expected and what was
found, without echoing long values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Final

from jsonschema.exceptions import ValidationError

from validators.errors import ValidationIssue, echo, join_path
from validators.formats import FORMAT_CODES

_KEYWORD_CODES: Final[dict[str, str]] = {
    "required": "missing_field",
    "additionalProperties": "unexpected_field",
    "unevaluatedProperties": "unexpected_field",
    "type": "wrong_type",
    "const": "invalid_value",
    "enum": "invalid_value",
    "pattern": "invalid_format",
    "minimum": "value_out_of_range",
    "maximum": "value_out_of_range",
    "exclusiveMinimum": "value_out_of_range",
    "exclusiveMaximum": "value_out_of_range",
    "minItems": "too_few_items",
    "maxItems": "too_many_items",
    "minLength": "string_too_short",
    "maxLength": "string_too_long",
    "uniqueItems": "duplicate_items",
}

_FORMAT_HINTS: Final[dict[str, str]] = {
    "date-time": "an RFC 3339 date-time with an offset, like 2024-04-24T14:12:00.000Z",
    "iri": "an IRI (a scheme, a colon, no white space), like https://example.edu/x",
    "uri": "an IRI (a scheme, a colon, no white space), like https://example.edu/x",
    "email": "an email address",
    "duration": "an ISO 8601 duration, like PT1H30M",
}

_LISTED: Final = 12

_STRUCTURAL: Final = frozenset({"type", "required", "additionalProperties"})

_JSON_TYPES: Final[dict[type, str]] = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


def json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def explain_errors(
    errors: Iterable[ValidationError], *, index: int | None, base: str
) -> Iterator[ValidationIssue]:
    """One issue per problem: a `required` error naming three fields gives three issues.

    jsonschema reports `required` once per missing field, each with the whole list, so
    issues are deduplicated here."""
    seen: set[ValidationIssue] = set()
    for error in errors:
        for issue in _explain(error, index=index, base=base):
            if issue not in seen:
                seen.add(issue)
                yield issue


def _explain(error: ValidationError, *, index: int | None, base: str) -> Iterator[ValidationIssue]:
    path = join_path(base, *error.absolute_path)
    keyword = str(error.validator)
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    title = schema.get("title") or _last_name(path)
    code = _code_for(keyword, schema.get("x-error-code"))
    instance = error.instance
    expected: Any = error.validator_value

    if keyword == "required" and isinstance(instance, dict):
        for name in expected:
            if name not in instance:
                yield ValidationIssue(
                    index, join_path(path, name), "missing_field", f"{name} is required"
                )
        return
    if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, dict):
        known = schema.get("properties", {})
        for name in instance:
            if name not in known:
                yield ValidationIssue(
                    index,
                    join_path(path, name),
                    "unexpected_field",
                    f"{name} is not a property of {title}; put custom data under extensions",
                )
        return
    field = _field_label(path)
    if keyword == "format":
        code = FORMAT_CODES.get(str(expected), "invalid_format")
        hint = _FORMAT_HINTS.get(str(expected), str(expected))
        message = f"{field} must be {hint}, found {echo(instance)}"
    elif keyword == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else str(expected)
        message = f"{field} must be of type {wanted}, found {json_type(instance)}"
    elif keyword == "const":
        message = f"expected {title} {echo(expected)}, found {echo(instance)}"
    elif keyword == "enum":
        message = f"{echo(instance)} is not an allowed {title}; allowed: {_listing(expected)}"
    elif keyword == "pattern":
        message = f"{title} has the wrong form, found {echo(instance)}"
        if code == "invalid_event_id":
            message = f"event id must be 'urn:uuid:' followed by a UUID, found {echo(instance)}"
    elif keyword in ("minimum", "exclusiveMinimum"):
        message = f"{field} must be at least {expected} ({title}), found {echo(instance)}"
    elif keyword in ("maximum", "exclusiveMaximum"):
        message = f"{field} must be at most {expected} ({title}), found {echo(instance)}"
    elif keyword == "minItems":
        message = f"{title} needs at least {expected} item(s), found {_length(instance)}"
    elif keyword == "maxItems":
        message = f"{title} allows at most {expected} item(s), found {_length(instance)}"
    elif keyword == "maxLength":
        message = f"{title} allows at most {expected} characters, found {_length(instance)}"
    else:
        message = f"{title}: {error.message[:200]}"
    yield ValidationIssue(index, path, str(code), message)


def _code_for(keyword: str, custom: object) -> str:
    """A schema's `x-error-code` refines the keyword's code: a string for its value checks
    (not for structural ones), or a mapping from keyword to code."""
    if isinstance(custom, dict) and isinstance(custom.get(keyword), str):
        return str(custom[keyword])
    if isinstance(custom, str) and keyword not in _STRUCTURAL:
        return custom
    return _KEYWORD_CODES.get(keyword, "invalid_value")


def _listing(values: list[Any]) -> str:
    """The allowed values, cut after the first few: some vocabularies have 56 terms."""
    shown = ", ".join(str(v) for v in values[:_LISTED])
    return shown if len(values) <= _LISTED else f"{shown} and {len(values) - _LISTED} more"


def _field_label(path: str) -> str:
    """`$.data[3].object.id` -> `object.id`: the field as a developer names it."""
    if path.startswith("$.data[") and "]." in path:
        return path.split("].", 1)[1]
    return path.removeprefix("$.") or "envelope"


def _length(value: object) -> int:
    return len(value) if isinstance(value, list | str | dict) else 0


def _last_name(path: str) -> str:
    tail = path.rsplit(".", 1)[-1]
    return tail if tail and tail != "$" else "value"
