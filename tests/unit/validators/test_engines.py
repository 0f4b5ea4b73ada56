"""validators/engines.py: choosing an engine, the fallback, and the schema the Rust engine gets."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import pytest

from validators import EnvelopeValidator, engines
from validators.engines import (
    NativeEngineError,
    compile_native,
    formats_as_patterns,
    native_module,
)
from validators.formats import EMAIL, IRI, anchored
from validators.schema_store import SchemaDocument


@pytest.fixture
def no_native_wheel(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(sys.modules, "jsonschema_rs", None)  # `import` now raises ImportError
    native_module.cache_clear()
    engines._warn_fallback.cache_clear()  # the warning is once per process
    yield
    native_module.cache_clear()
    engines._warn_fallback.cache_clear()


def test_rust_is_the_default() -> None:
    assert EnvelopeValidator().engine == "rust"
    assert EnvelopeValidator(engine="python").engine == "python"


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown validation engine"):
        EnvelopeValidator(engine="java")  # type: ignore[arg-type]


@pytest.mark.usefixtures("no_native_wheel")
def test_missing_wheel_falls_back_to_python_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="validators.engines")
    first, second = EnvelopeValidator(), EnvelopeValidator(engine="rust")
    assert (first.engine, second.engine) == ("python", "python")
    warnings = [r for r in caplog.records if r.name == "validators.engines"]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert "jsonschema-rs is not installed" in warnings[0].getMessage()
    assert not first.validate({"data": []}).valid  # and it still validates
    with pytest.raises(NativeEngineError):
        compile_native({"type": "object"})


def test_formats_become_anchored_patterns() -> None:
    schema = {
        "properties": {
            "id": {"type": "string", "format": "iri"},
            "email": {"format": "email", "pattern": "^a"},
            "other": {"format": "uuid"},
            "format": {"const": {"format": "iri"}, "enum": [{"format": "email"}]},
        }
    }
    assert formats_as_patterns(schema) == {
        "properties": {
            "id": {"type": "string", "pattern": anchored(IRI)},
            "email": {"pattern": "^a", "allOf": [{"pattern": anchored(EMAIL)}]},
            "other": {"format": "uuid"},  # not ours: asserted by no engine
            "format": {"const": {"format": "iri"}, "enum": [{"format": "email"}]},
        }
    }
    assert schema["properties"]["id"] == {"type": "string", "format": "iri"}  # a copy


def test_rust_engine_checks_our_formats_not_its_own() -> None:
    check = compile_native({"format": "email"}).is_valid
    assert not check("a@b")  # jsonschema-rs's own email format accepts it
    assert check("a..b@example.com")  # and refuses this one
    iri = compile_native({"format": "iri"}).is_valid
    assert iri("https://example.edu/users/<userId>")
    assert not iri("https://example.edu/Social Studies/x")


def test_rust_engine_never_fetches_a_remote_ref() -> None:
    document = SchemaDocument({"$ref": "https://example.com/remote.schema.json"})
    with pytest.raises(NativeEngineError):
        document.native()
