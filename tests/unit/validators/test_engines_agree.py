"""Differential test: jsonschema-rs, fastjsonschema and jsonschema give the same verdict.

Per item definition (the unit each engine decides on), per envelope, and per format
string; and the whole EnvelopeValidator answers the same error entries whichever
engine decides. Inputs: every file of ../shared/conformance, and generated or mutated
documents aimed at the formats (calendar edge days, leap years, emails, IRIs with white
space, controls and placeholders, durations, a final newline after a pattern).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import fastjsonschema
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import conformance_root
from tests.unit.validators.test_properties import JSON, mutate
from validators import EnvelopeValidator
from validators.engines import compile_native
from validators.formats import FAST_FORMATS, FORMAT_PATTERNS, anchored
from validators.schema_store import Explainer, SchemaDocument, format_checker, shared_document
from validators.times import TimeBounds
from validators.vocabulary import TIMEBACK_ACTIONS

# One frozen clock for both: the server's clock is in the time errors' messages, and two
# validators reading a real clock can fall either side of a second.
NOW: Final = datetime.now(UTC)
RUST: Final = EnvelopeValidator(engine="rust", time_bounds=TimeBounds(clock=lambda: NOW))
PYTHON: Final = EnvelopeValidator(engine="python", time_bounds=TimeBounds(clock=lambda: NOW))
TIMEBACK: Final = shared_document("timeback.schema.json", inline=True)
CALIPER: Final = shared_document("caliper.schema.json")
ENVELOPE: Final = RUST._envelope  # max_events 1000, as the default front door

UUID: Final = "urn:uuid:5b5e5b5e-0000-4000-8000-000000000001"
FORMAT_NEAR_MISSES: Final = {
    "date-time": [
        "2024-02-29T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2000-02-29T00:00:00Z",
        "2100-02-29T12:00:00+01:00",
        "2400-02-29T12:00:00-01:00",
        "0000-02-29T00:00:00Z",
        "0000-01-31T00:00:00Z",
        "0000-01-28T00:00:00Z",
        "2024-04-31T00:00:00Z",
        "2024-04-30T00:00:00Z",
        "2024-12-31T23:59:60.123456Z",
        "2024-13-01T00:00:00Z",
        "2024-00-10T00:00:00Z",
        "2024-01-00T00:00:00Z",
        "2024-01-32T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01t00:00:00z",
        "2024-01-01T00:00:00",
        "2024-01-01T00:00:00+24:00",
        "2024-01-01T00:00:00.Z",
        "2024-01-01 00:00:00Z",
        "2024-01-01T00:00:00Z\n",
        "\u0662\u0660\u0662\u0664-01-01T00:00:00Z",
        "2024-01-01T00:00:0\u0661Z",
    ],
    "email": [
        "a@b",
        "a..b@example.com",
        "a@b.c",
        "a@b..c",
        "a@.b.c",
        "@b.c",
        "a@b.c.",
        "a b@c.d",
        "a@b@c.d",
        "a@b.c\n",
        "a\u3000b@c.d",
        "a\x1cb@c.d",
        "a\x85b@c.d",
        "\u00e9l\u00e8ve@\u00e9cole.fr",
        "student.email@example.com",
    ],
    "iri": [
        "https://api.example/ims/oneroster/rostering/v1p2/users/<userId>",
        "https://x.example/Social Studies/x",
        "https://x.example/tab\there",
        "https://x.example/\x00",
        "https://x.example/\x7f",
        "https://x.example/\x85",
        "https://x.example/\u2028",
        "https://x.example/\u00e9",
        "https://x.example/\n",
        "https://x.example\n",
        "urn:uuid:5b5e5b5e-0000-4000-8000-000000000001",
        "x:y",
        "1x:y",
        ":y",
        "https:",
        "no scheme",
    ],
    "duration": [
        "P",
        "PT",
        "P1D",
        "PT1H",
        "PT0S",
        "P1Y2M3W4DT5H6M7.5S",
        "P1,5D",
        "P1DT",
        "p1d",
        "P1H",
        "PT1D",
        "P-1D",
        "P1D\n",
        "P\u0661D",
        "PT36H",
        "P2W1Y",
    ],
}
ID_NEAR_MISSES: Final = [UUID, UUID + "\n", UUID.upper(), "urn:uuid:" + UUID[9:].upper(), UUID[:-1]]
ALL_NEAR_MISSES: Final = [s for pool in FORMAT_NEAR_MISSES.values() for s in pool] + ID_NEAR_MISSES


@functools.cache
def format_engines(name: str) -> tuple[Callable[[Any], bool], ...]:
    """One format as each engine sees it: the Rust pattern, fastjsonschema's inline regex,
    jsonschema's checker."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "format": name}
    fast = fastjsonschema.compile(schema, formats=FAST_FORMATS)

    def python(value: Any) -> bool:
        try:
            fast(value)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    explainer = Explainer(schema, format_checker=format_checker())
    return compile_native(schema).is_valid, python, explainer.is_valid


def document_for(kind: object) -> SchemaDocument | None:
    if not isinstance(kind, str):
        return None
    if kind in TIMEBACK_ACTIONS:
        return TIMEBACK
    if kind in RUST.event_types or kind in RUST.entity_types:
        return CALIPER
    return None


def assert_item_verdicts_agree(item: Any) -> None:
    document = document_for(item.get("type") if isinstance(item, dict) else None)
    if document is None:
        return  # rejected by dispatch before any schema runs
    kind = item["type"]
    explained = [error.message for error in document.explain(item, kind)]
    verdicts = {
        "rust": document.is_valid(item, kind, "rust"),
        "python": document.is_valid(item, kind, "python"),
        "jsonschema": not explained,
    }
    assert len(set(verdicts.values())) == 1, (kind, verdicts, explained[:3])


def assert_envelopes_agree(envelope: Any) -> None:
    verdicts = {
        "rust": ENVELOPE.is_valid(envelope, None, "rust"),
        "python": ENVELOPE.is_valid(envelope, None, "python"),
        "jsonschema": not list(ENVELOPE.explain(envelope)),
    }
    assert len(set(verdicts.values())) == 1, verdicts
    data = envelope.get("data") if isinstance(envelope, dict) else None
    for item in data if isinstance(data, list) else []:
        assert_item_verdicts_agree(item)
    # validate() normalizes a valid envelope in place: each engine gets its own copy.
    rust, python = RUST.validate(copy.deepcopy(envelope)), PYTHON.validate(copy.deepcopy(envelope))
    assert rust.valid == python.valid
    assert [e.to_dict() for e in rust.errors] == [e.to_dict() for e in python.errors]
    assert rust.events == python.events
    assert all(error.code != "invalid_item" for error in rust.errors), rust.errors


def corpus_files() -> Iterator[Path]:
    root = conformance_root()
    yield from sorted(root.rglob("*.json")) if root.is_dir() else iter(())


def as_envelope(document: Any) -> Any:
    """A fixture that is an event or entity, wrapped as the one item of an envelope."""
    if isinstance(document, dict) and "data" in document:
        return document
    return {
        "sensor": "https://example.edu/sensor",
        "sendTime": "2024-04-24T14:12:01.000Z",
        "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
        "data": [document],
    }


def load_corpus() -> dict[str, Any]:
    loaded: dict[str, Any] = {}
    for path in corpus_files():
        try:
            loaded[str(path.relative_to(conformance_root()))] = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            continue  # the front door answers invalid_json before any engine runs
    return loaded


CORPUS: Final = load_corpus()
SEEDS: Final = [as_envelope(document) for document in CORPUS.values()]


def test_the_corpus_is_there(conformance_dir: Path) -> None:
    assert len(CORPUS) > 400


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_conformance_file(conformance_dir: Path, name: str) -> None:
    assert_envelopes_agree(as_envelope(CORPUS[name]))


@pytest.mark.parametrize("name", sorted(FORMAT_PATTERNS))
def test_format_near_misses(name: str) -> None:
    for value in FORMAT_NEAR_MISSES.get(name, FORMAT_NEAR_MISSES["iri"]):
        verdicts = [engine(value) for engine in format_engines(name)]
        assert len(set(verdicts)) == 1, (name, value, verdicts)


FORMAT_CHARS: Final = st.sampled_from(
    [*"0123456789-:.,+TtZzPYMWDHS@ab/<> \t\n\x00\x1c\x7f\x85\xa0\u2028\u3000\u00e9\u0661\U0001f600"]
)


@st.composite
def format_strings(draw: st.DrawFn) -> tuple[str, str]:
    """A format and a string near it: one that matches, edited a little, or noise."""
    name = draw(st.sampled_from(sorted(FORMAT_PATTERNS)))
    value = draw(
        st.from_regex(anchored(FORMAT_PATTERNS[name]), fullmatch=True)
        | st.sampled_from(ALL_NEAR_MISSES)
        | st.text(FORMAT_CHARS, max_size=30)
    )
    if value and draw(st.booleans()):
        at = draw(st.integers(0, len(value)))
        value = value[:at] + draw(st.text(FORMAT_CHARS, max_size=2)) + value[at + 1 :]
    return name, value


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(format_strings())
def test_formats_agree_on_generated_strings(case: tuple[str, str]) -> None:
    name, value = case
    verdicts = [engine(value) for engine in format_engines(name)]
    assert len(set(verdicts)) == 1, (name, value, verdicts)


FORMAT_VALUES: Final = format_strings().map(lambda case: case[1])


@st.composite
def mutated_envelopes(draw: st.DrawFn) -> Any:
    """A corpus envelope with one to three edits; string leaves mostly get format near-misses."""
    envelope = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    return mutate(draw, envelope, st.sampled_from(ALL_NEAR_MISSES) | FORMAT_VALUES)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_envelopes())
def test_mutated_corpus_envelopes(envelope: Any) -> None:
    assert_envelopes_agree(envelope)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON | st.dictionaries(st.sampled_from(["sensor", "sendTime", "dataVersion", "data"]), JSON))
def test_arbitrary_json(value: Any) -> None:
    assert_envelopes_agree(value)
