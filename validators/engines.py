"""The two engines that decide valid/invalid on the hot path, and how each gets its schema.

- "rust": jsonschema-rs, a compiled validator in native code (the default);
- "python": fastjsonschema's generated Python code (where the native wheel is missing).

Both see the same documents; formats reach the Rust engine as anchored `pattern`s
(validators/formats.py), so it evaluates the same expressions in Rust instead of its
own `iri`/`email` formats or a Python callback per string.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, Final, Literal

from validators.formats import FORMAT_PATTERNS, anchored

logger = logging.getLogger(__name__)

Engine = Literal["rust", "python"]
ENGINES: Final[tuple[Engine, ...]] = ("rust", "python")
DEFAULT_ENGINE: Final[Engine] = "rust"

# True or False for one instance.
Verdict = Callable[[Any], bool]

# Keywords whose values are data, not schemas: a `format` key in there is not a format.
_DATA_KEYWORDS: Final = frozenset({"const", "enum", "examples", "default"})


class NativeEngineError(RuntimeError):
    """The Rust engine could not compile a schema (for example a remote `$ref`)."""


@functools.cache
def native_module() -> Any:
    """jsonschema_rs, or None where the wheel is missing."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    return jsonschema_rs


def resolve(engine: Engine) -> Engine:
    """The engine that will run: "rust" falls back to "python" without the native wheel."""
    if engine not in ENGINES:
        raise ValueError(f"unknown validation engine {engine!r}; use one of {ENGINES}")
    if engine == "rust" and native_module() is None:
        _warn_fallback()
        return "python"
    return engine


@functools.cache
def _warn_fallback() -> None:
    # Once per process: every validator built afterwards falls back the same way.
    logger.warning(
        "jsonschema-rs is not installed: validating with the pure-Python engine "
        "(fastjsonschema), several times slower"
    )


def formats_as_patterns(node: Any) -> Any:
    """A copy of a schema with each of our `format`s replaced by the same anchored pattern."""
    if isinstance(node, list):
        return [formats_as_patterns(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: value if key in _DATA_KEYWORDS else formats_as_patterns(value)
        for key, value in node.items()
    }
    name = out.get("format")
    if isinstance(name, str) and name in FORMAT_PATTERNS:
        del out["format"]
        pattern = anchored(FORMAT_PATTERNS[name])
        if "pattern" in out:
            out.setdefault("allOf", []).append({"pattern": pattern})
        else:
            out["pattern"] = pattern
    return out


def compile_native(schema: dict[str, Any]) -> Any:
    """A jsonschema_rs validator for `schema`: our formats as patterns, other formats not
    asserted (as for the other engines), and never a `$ref` fetched from anywhere."""
    module = native_module()
    if module is None:
        raise NativeEngineError("jsonschema-rs is not installed")
    try:
        return module.validator_for(
            formats_as_patterns(schema), validate_formats=False, offline=True
        )
    except (module.ValidationError, module.ReferencingError, ValueError) as error:
        raise NativeEngineError(str(error)) from error
