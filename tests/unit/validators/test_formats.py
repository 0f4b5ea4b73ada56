"""The formats as portable expressions (validators/formats.py) say what they said before.

The oracle is the previous definition: Python regexes with look-ahead and `\\s`, plus
`datetime.date` for days 29-31. The one intended difference: digits are ASCII digits
(Python's `\\d` also matched other scripts' digits, which no engine but Python's reads).
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from validators.formats import (
    FORMAT_PATTERNS,
    is_date_time,
    is_duration,
    is_email,
    is_iri,
)
from validators.schema_store import load_document

_OLD_DATE_TIME: Final = re.compile(
    r"(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)"
    r"(?:\.\d+)?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)",
    re.ASCII,
)
_OLD_IRI: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f]+")
_OLD_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_OLD_DURATION: Final = re.compile(
    r"P(?!$)(?:\d+(?:[.,]\d+)?Y)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?W)?(?:\d+(?:[.,]\d+)?D)?"
    r"(?:T(?=\d)(?:\d+(?:[.,]\d+)?H)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?S)?)?",
    re.ASCII,
)


def old_date_time(value: str) -> bool:
    match = _OLD_DATE_TIME.fullmatch(value)
    if match is None:
        return False
    if int(match[3]) <= 28:
        return True
    try:
        date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return False
    return True


YEARS: Final = [0, 1, 4, 100, 400, 1600, 1700, 1900, 1996, 2000, 2023, 2024, 2100, 2400, 9996, 9999]


@pytest.mark.parametrize("year", YEARS)
def test_every_day_of_every_month(year: int) -> None:
    for month, day in itertools.product(range(0, 14), range(0, 33)):
        value = f"{year:04d}-{month:02d}-{day:02d}T12:30:00Z"
        assert is_date_time(value) == old_date_time(value), value


DATE_CHARS: Final = st.sampled_from([*"0123456789-:.+TtZz ", "\n", "\u0661"])
DURATION_CHARS: Final = st.sampled_from([*"0123456789.,PYMWDTHSp ", "\n", "\u0661"])
ADDRESS_CHARS: Final = st.sampled_from(
    [*"ab.@:/<>-+1 \t\n\x00\x1c\x7f\x85\xa0\u1680\u2007\u2028\u202f\u3000\ufeff\u00e9"]
)


@settings(max_examples=800, deadline=None)
@given(st.from_regex(_OLD_DATE_TIME, fullmatch=True) | st.text(DATE_CHARS, max_size=30))
def test_date_time_as_before(value: str) -> None:
    assert is_date_time(value) == old_date_time(value)


@settings(max_examples=800, deadline=None)
@given(st.from_regex(_OLD_DURATION, fullmatch=True) | st.text(DURATION_CHARS, max_size=16))
def test_duration_as_before(value: str) -> None:
    assert is_duration(value) == (_OLD_DURATION.fullmatch(value) is not None)


@settings(max_examples=800, deadline=None)
@given(st.text(ADDRESS_CHARS, max_size=16))
def test_iri_and_email_as_before(value: str) -> None:
    assert is_iri(value) == (_OLD_IRI.fullmatch(value) is not None)
    assert is_email(value) == (_OLD_EMAIL.fullmatch(value) is not None)


def test_other_scripts_digits_are_not_digits() -> None:
    assert not is_date_time("\u0662\u0660\u0662\u0664-01-01T00:00:00Z")
    assert not is_duration("P\u0661D")


PORTABILITY: Final = re.compile(r"\\[dDsSwWbBZz]|\(\?[=!<]|\\[1-9]")


def test_expressions_are_portable() -> None:
    """No construct whose meaning differs between Python's re and the Rust engine."""
    for name, pattern in FORMAT_PATTERNS.items():
        assert PORTABILITY.search(pattern) is None, name
        assert "$" not in pattern, name
        assert "^" not in pattern.replace("[^", ""), name


def schema_patterns(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return own + [p for value in node.values() for p in schema_patterns(value)]
    if isinstance(node, list):
        return [p for value in node for p in schema_patterns(value)]
    return []


@pytest.mark.parametrize("name", ["envelope", "timeback", "caliper"])
def test_schema_patterns_are_portable(name: str) -> None:
    """Anchored at both ends, `$` only as the last character (the explainer reads it as the
    end of the string, as ECMA 262 does), and no construct the engines read differently."""
    patterns = schema_patterns(load_document(f"{name}.schema.json"))
    for pattern in patterns:
        assert pattern.startswith("^"), pattern
        assert pattern.endswith("$"), pattern
        assert "$" not in pattern[:-1], pattern
        assert PORTABILITY.search(pattern) is None, pattern
