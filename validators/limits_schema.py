"""The document limits as JSON Schema: on their own, or folded into another schema.

On their own (`limits_schema`): one `$defs` entry per level of nesting, each pointing at
the next, the last admitting scalars only. jsonschema-rs walks a document against it in
native code, but it is a second walk of every event beside the event's own schema.

Folded (`LimitFolder.fold`): the same limits written into a schema's own nodes, so one
walk checks both. A node for an instance at depth d gets `maxLength`, `maximum` and
`minimum` merged with its own, its declared properties and items are folded at depth
d + 1, and whatever it leaves open (absent `additionalProperties` or `items`, keys of an
open object) is constrained by the generic level for d + 1. Subschemas that apply to the
node's own instance (`allOf`, `if`, `not`...) are left alone: the node's own keywords
already reach every value below it. A node using a keyword this does not know is
conjoined with the generic level instead, which is always right, only slower.
tests/unit/validators/test_limits_schema.py checks fold(S) == S and the limits.
"""

from __future__ import annotations

from typing import Any, Final

# I-JSON (RFC 7493): integers beyond this are not exchanged exactly; we refuse all
# numbers beyond it, floats included, since no Caliper value needs more.
MAX_SAFE_NUMBER: Final = 2**53 - 1
DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"
_SCALARS: Final = ["string", "number", "boolean", "null"]

# Annotations, and keywords that constrain only the node's own value (or its own keys).
_LOCAL: Final = frozenset(
    {
        "title", "description", "default", "examples", "$comment", "x-error-code",
        "type", "const", "enum", "pattern", "format", "minLength", "maxLength",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "required", "minProperties", "maxProperties", "dependentRequired",
        "minItems", "maxItems", "uniqueItems", "minContains", "maxContains",
    }
)  # fmt: skip
# Subschemas applied to the node's own instance, or conditions: left as they are.
_SAME_INSTANCE: Final = frozenset(
    {"allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "contains"}
)
# Subschemas applied to the values one level down: folded at depth + 1.
_CHILDREN: Final = frozenset(
    {"properties", "patternProperties", "additionalProperties", "propertyNames"}
    | {"items", "prefixItems"}
)
_FOLDABLE: Final = _LOCAL | _SAME_INSTANCE | _CHILDREN


def level_ref(level: int) -> dict[str, str]:
    return {"$ref": f"#/$defs/limits{level}"}


def limit_levels(max_depth: int, max_chars: int) -> dict[str, Any]:
    """`$defs` entries `limits0`..`limits{max_depth}`: limitsN admits values nested at
    most N containers deep (limits0: scalars only)."""
    scalar: dict[str, Any] = {
        "maximum": MAX_SAFE_NUMBER,
        "minimum": -MAX_SAFE_NUMBER,
        "maxLength": max_chars,
    }
    levels: dict[str, Any] = {"limits0": {**scalar, "type": _SCALARS}}
    for level in range(1, max_depth + 1):
        below = level_ref(level - 1)
        levels[f"limits{level}"] = {
            **scalar,
            "propertyNames": {"maxLength": max_chars},
            "items": below,
            "additionalProperties": below,
        }
    return levels


def limits_schema(max_depth: int, max_chars: int) -> dict[str, Any]:
    """A JSON Schema equal to the Python walk of validators/limits.py: containers at most
    `max_depth` deep (the document itself is depth 1), numbers within +-MAX_SAFE_NUMBER,
    strings and keys of at most `max_chars` characters."""
    return {
        "$schema": DRAFT,
        "$defs": limit_levels(max_depth, max_chars),
        "$ref": f"#/$defs/limits{max_depth}",
    }


class LimitFolder:
    """Folds one pair of limits into schemas; the result needs `limit_levels` in `$defs`.

    `closed` also refuses the properties an object schema leaves open beside the ones it
    declares: a stricter schema for the common shape, whose keys then need no length
    check (the key-length check of open objects is a fifth of a Timeback event's cost)."""

    def __init__(self, *, max_depth: int, max_chars: int, closed: bool = False) -> None:
        self.max_depth = max_depth
        self.max_chars = max_chars
        self.closed = closed

    def levels(self) -> dict[str, Any]:
        return limit_levels(self.max_depth, self.max_chars)

    def generic(self, depth: int) -> dict[str, str]:
        """The plain limits for any value at `depth`."""
        return level_ref(max(0, self.max_depth - depth + 1))

    def fold(self, schema: Any, depth: int) -> Any:
        """`schema` and the limits, as one schema, for an instance at `depth`."""
        if schema is True:
            return self.generic(depth)
        if schema is False:
            return False
        if (
            not isinstance(schema, dict)
            or not set(schema) <= _FOLDABLE
            or isinstance(schema.get("items"), list)  # draft 7 tuples: not this dialect
        ):
            return {"allOf": [schema, self.generic(depth)]}
        if self._fixed_values_within(schema, depth):
            return schema  # `const` or `enum`: the only values it admits are known to pass
        out = dict(schema)
        kinds = _kinds(schema)
        if "string" in kinds:
            out["maxLength"] = min(out.get("maxLength", self.max_chars), self.max_chars)
        if "number" in kinds or "integer" in kinds:
            out["maximum"] = min(out.get("maximum", MAX_SAFE_NUMBER), MAX_SAFE_NUMBER)
            out["minimum"] = max(out.get("minimum", -MAX_SAFE_NUMBER), -MAX_SAFE_NUMBER)
        if "object" not in kinds and "array" not in kinds:
            return out
        if depth > self.max_depth:
            # A container here is too deep whatever the schema says of it.
            out["allOf"] = [*out.get("allOf", []), self.generic(depth)]
            return out
        if "object" in kinds:
            self._fold_object(schema, out, depth + 1)
        if "array" in kinds:
            if "prefixItems" in schema:
                out["prefixItems"] = [self.fold(s, depth + 1) for s in schema["prefixItems"]]
            out["items"] = self.fold(schema.get("items", True), depth + 1)
        return out

    def _fixed_values_within(self, schema: dict[str, Any], depth: int) -> bool:
        if "const" in schema:
            values = [schema["const"]]
        elif isinstance(schema.get("enum"), list):
            values = schema["enum"]
        else:
            return False
        return all(self._within(value, depth) for value in values)

    def _within(self, value: Any, depth: int) -> bool:
        """Whether a value from the schema itself passes the limits at `depth`."""
        if isinstance(value, str):
            return len(value) <= self.max_chars
        if isinstance(value, bool) or value is None:
            return True
        if isinstance(value, int | float):
            return -MAX_SAFE_NUMBER <= value <= MAX_SAFE_NUMBER
        return False  # a container: let the generic levels decide, at no real cost

    def _fold_object(self, schema: dict[str, Any], out: dict[str, Any], below: int) -> None:
        properties = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        out["properties"] = {name: self.fold(s, below) for name, s in properties.items()}
        if patterns:
            out["patternProperties"] = {p: self.fold(s, below) for p, s in patterns.items()}
        additional = schema.get("additionalProperties", True)
        if self.closed and additional is True and properties and not patterns:
            additional = False
        out["additionalProperties"] = self.fold(additional, below)
        closed = out["additionalProperties"] is False and not patterns
        if closed and all(len(name) <= self.max_chars for name in properties):
            return  # every key is a declared name, and none is too long
        names: dict[str, Any] = {"maxLength": self.max_chars}
        if "propertyNames" in schema:
            names = {"allOf": [schema["propertyNames"], names]}
        out["propertyNames"] = names


def _kinds(schema: dict[str, Any]) -> frozenset[str]:
    """The JSON types an instance of `schema` may have, as far as `type` tells."""
    declared = schema.get("type")
    if isinstance(declared, str):
        return frozenset({declared})
    if isinstance(declared, list):
        return frozenset(declared)
    return frozenset({"object", "array", "string", "number", "boolean", "null"})
