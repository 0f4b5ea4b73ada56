"""Load the JSON Schemas in ../schemas once; compile fast validators and explainers per definition.

jsonschema-rs or fastjsonschema (validators/engines.py) decides valid/invalid on
the hot path; jsonschema explains a failure in full. All three get the same format
expressions and see the same documents, and none may fetch a remote `$ref`.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any, Final

import fastjsonschema
from fastjsonschema.ref_resolver import RefResolver
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend

from validators.engines import Engine, Verdict, compile_native
from validators.formats import FAST_FORMATS, FORMAT_CHECKS

SCHEMA_DIR: Final = Path(__file__).resolve().parent.parent / "schemas"
DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"

FastCheck = Callable[[Any], Any]


class RemoteRefError(RuntimeError):
    """A schema tried to load a `$ref` from outside this document."""


def _refuse_remote(uri: str) -> Any:
    raise RemoteRefError(f"remote $ref refused: {uri}")


# fastjsonschema falls back to urlopen for any scheme without a handler.
_NO_REMOTE: Final = dict.fromkeys(("http", "https", "file", "ftp", "urn", ""), _refuse_remote)


def format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    for name, check in FORMAT_CHECKS.items():
        checker.checks(name)(check)
    return checker


@functools.cache
def _end_anchored(pattern: str) -> re.Pattern[str]:
    # Python's `$` also matches before a final newline; JSON Schema's (ECMA 262) and both
    # fast engines' do not (fastjsonschema rewrites it to `\Z` the same way).
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + "\\Z"
    return re.compile(pattern)


def _pattern(
    validator: Validator, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if isinstance(instance, str) and not _end_anchored(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# The explainer: jsonschema, with `pattern` read as the fast engines read it
# (types-jsonschema leaves `extend` untyped; it returns a validator class).
Explainer: Final[type[Validator]] = extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, {"pattern": _pattern}
)


def load_document(name: str) -> dict[str, Any]:
    with (SCHEMA_DIR / name).open("rb") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


def inline_local_refs(node: Any, defs: Mapping[str, Any], stack: tuple[str, ...] = ()) -> Any:
    """Replace `#/$defs/X` refs by their target, except recursive ones.

    fastjsonschema compiles each `$ref` into a function call that builds the
    error path string eagerly (for array items with `str.format(**locals())`);
    inlined, the generated code only builds strings when it raises, which makes
    the hot path several times faster.
    """
    if isinstance(node, list):
        return [inline_local_refs(item, defs, stack) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.removeprefix("#/$defs/")
        if name in stack or name not in defs:
            return node
        target = inline_local_refs(defs[name], defs, (*stack, name))
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        if not siblings:
            return target
        return {"allOf": [target, inline_local_refs(siblings, defs, stack)]}
    return {key: inline_local_refs(value, defs, stack) for key, value in node.items()}


class SchemaDocument:
    """One schema file: whole-document or per-`$defs` validators, built on first use.

    `inline` makes the compiled fast path inline every non-recursive `$ref`:
    right for small documents on the hot path, wrong for large ones where
    inlining multiplies the generated code.
    """

    def __init__(self, document: Mapping[str, Any], *, inline: bool = False) -> None:
        self._inline = inline
        self._document = dict(document)
        self._defs: dict[str, Any] = dict(document.get("$defs", {}))
        self._fast: dict[str | None, FastCheck] = {}
        self._native: dict[str | None, Verdict] = {}
        self._explainers: dict[str | None, Validator] = {}
        self._lock = threading.Lock()
        self._checker = format_checker()

    @property
    def definitions(self) -> Mapping[str, Any]:
        return self._defs

    def _schema_for(self, definition: str | None) -> dict[str, Any]:
        if definition is None:
            return self._document
        if definition not in self._defs:
            raise KeyError(definition)
        return {"$schema": DRAFT, "$ref": f"#/$defs/{definition}", "$defs": self._defs}

    def fast(self, definition: str | None = None) -> FastCheck:
        """The compiled validator: raises fastjsonschema.JsonSchemaException when invalid."""
        check = self._fast.get(definition)
        if check is None:
            with self._lock:
                check = self._fast.get(definition)
                if check is None:
                    if self._inline or definition is None:
                        check = self._compile_one(definition)
                        self._fast[definition] = check
                    else:
                        self._fast.update(self._compile_all_definitions())
                        check = self._fast[definition]
        return check

    def _compile_one(self, definition: str | None) -> FastCheck:
        schema = self._schema_for(definition)
        if self._inline:
            schema = {**inline_local_refs(schema, self._defs), "$defs": self._defs}
        return fastjsonschema.compile(
            schema, handlers=_NO_REMOTE, formats=FAST_FORMATS, use_default=False
        )

    def _compile_all_definitions(self) -> dict[str | None, FastCheck]:
        """Generate one module holding a function per `$defs` entry.

        Compiling each definition on its own regenerates the whole graph of
        entity references every time (about a second each for the ~100 Caliper
        types); one module shares it. fastjsonschema turns every `$ref` into a
        function named by its resolver, which is how each is found again.
        """
        root = {
            "$schema": DRAFT,
            "$defs": self._defs,
            "properties": {name: {"$ref": f"#/$defs/{name}"} for name in self._defs},
        }
        code = fastjsonschema.compile_to_code(
            root, handlers=_NO_REMOTE, formats=FAST_FORMATS, use_default=False
        )
        namespace: dict[str, Any] = {}
        exec(code, namespace)  # what fastjsonschema.compile itself does with its code
        resolver = RefResolver.from_schema(root, handlers=_NO_REMOTE, store={})
        checks: dict[str | None, FastCheck] = {}
        for name in self._defs:
            with resolver.in_scope(f"#/$defs/{name}"):
                function = namespace[resolver.get_scope_name()]
            checks[name] = partial(function, custom_formats=FAST_FORMATS)
        return checks

    def native(self, definition: str | None = None) -> Verdict:
        """The Rust engine's verdict: jsonschema-rs compiled per definition (a few ms each,
        so on first use rather than all ~230 Caliper definitions up front)."""
        verdict = self._native.get(definition)
        if verdict is None:
            with self._lock:
                verdict = self._native.get(definition)
                if verdict is None:
                    verdict = compile_native(self._schema_for(definition)).is_valid
                    self._native[definition] = verdict
        return verdict

    def verdict(self, definition: str | None, engine: Engine) -> Verdict:
        """True or False from one engine: the hot path's single call per item."""
        if engine == "rust":
            return self.native(definition)
        check = self.fast(definition)

        def fast_verdict(instance: Any) -> bool:
            try:
                check(instance)
            except fastjsonschema.JsonSchemaException:
                return False
            return True

        return fast_verdict

    def is_valid(
        self, instance: Any, definition: str | None = None, engine: Engine = "python"
    ) -> bool:
        return self.verdict(definition, engine)(instance)

    def engine_reason(self, instance: Any, definition: str | None, engine: Engine) -> str:
        """The engine's own words for an invalid instance: used only if the explainer
        finds nothing, which the differential tests say never happens."""
        if engine == "python":
            try:
                self.fast(definition)(instance)
            except fastjsonschema.JsonSchemaException as error:
                return str(error)
            return "valid"
        validator = compile_native(self._schema_for(definition))
        return next((error.message for error in validator.iter_errors(instance)), "valid")

    def explain(self, instance: Any, definition: str | None = None) -> Iterator[ValidationError]:
        explainer = self._explainers.get(definition)
        if explainer is None:
            explainer = Explainer(self._schema_for(definition), format_checker=self._checker)
            self._explainers[definition] = explainer
        return explainer.iter_errors(instance)


@functools.cache
def shared_document(name: str, *, inline: bool = False) -> SchemaDocument:
    """One compiled document per schema file and process: the files never change while
    we run, and compiling the Caliper types takes seconds, so every validator (one per
    app in tests) shares the same compiled code."""
    return SchemaDocument(load_document(name), inline=inline)


def envelope_document(max_events: int) -> SchemaDocument:
    document = copy.deepcopy(load_document("envelope.schema.json"))
    document["properties"]["data"]["maxItems"] = max_events
    return SchemaDocument(document, inline=True)
