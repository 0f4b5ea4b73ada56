"""String formats, written once as regular expressions every engine evaluates the same way.

fastjsonschema (pure Python), jsonschema-rs (Rust) and jsonschema (the explainer) each
get the same expression text, so they cannot disagree on a format. The texts are
portable on purpose: explicit character classes instead of `\\d`/`\\s` (Python's are
Unicode, the Rust engine's are ECMA 262's), no look-around and no back-references (the
Rust `regex` crate has neither), unanchored here and anchored per engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

# Python's white space (str.isspace), spelled out so that the Rust engine sees the same set.
_SPACE: Final = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

# RFC 3339 with a mandatory offset and any fractional precision: real clients send whole
# seconds, milliseconds and microseconds. The calendar is in the expression: days 29 and
# 30 exist in every month but February, day 31 in seven months, February 29 in leap years
# (divisible by 4, centuries only by 400); days 29-31 are refused in year 0000 as
# Python's `date` (no year 0) refused them before.
_YEAR: Final = r"[0-9]{4}"
_YEAR_NOT_0: Final = r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_LEAP_YEAR: Final = (
    r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
)
_DATE: Final = (
    rf"(?:{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    rf"|{_YEAR_NOT_0}-(?:0[13-9]|1[0-2])-(?:29|30)"
    rf"|{_YEAR_NOT_0}-(?:0[13578]|1[02])-31"
    rf"|{_LEAP_YEAR}-02-29)"
)
_TIME: Final = (
    r"[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?"
    r"(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)
DATE_TIME: Final = _DATE + _TIME

# An IRI as the documentation's own examples use them: a scheme, a colon, then no white
# space or control characters. Deliberately lenient about other characters: the seed's
# examples contain placeholders such as `<userId>`.
IRI: Final = rf"[A-Za-z][A-Za-z0-9+.-]*:[^{_SPACE}\x00-\x1f\x7f]+"
EMAIL: Final = rf"[^@{_SPACE}]+@[^@{_SPACE}.]+(?:\.[^@{_SPACE}.]+)+"

# ISO 8601 durations: at least one component, and at least one after a `T`.
_NUMBER: Final = r"[0-9]+(?:[.,][0-9]+)?"
_DATE_PART: Final = (
    rf"(?:{_NUMBER}Y(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"|{_NUMBER}M(?:{_NUMBER}W)?(?:{_NUMBER}D)?|{_NUMBER}W(?:{_NUMBER}D)?|{_NUMBER}D)"
)
_TIME_PART: Final = (
    rf"T(?:{_NUMBER}H(?:{_NUMBER}M)?(?:{_NUMBER}S)?|{_NUMBER}M(?:{_NUMBER}S)?|{_NUMBER}S)"
)
DURATION: Final = rf"P(?:{_DATE_PART}(?:{_TIME_PART})?|{_TIME_PART})"

# Format name -> expression: the one definition of each format.
FORMAT_PATTERNS: Final[dict[str, str]] = {
    "date-time": DATE_TIME,
    "iri": IRI,
    "uri": IRI,
    "email": EMAIL,
    "duration": DURATION,
}

_COMPILED: Final = {name: re.compile(pattern) for name, pattern in FORMAT_PATTERNS.items()}
# A OneRoster users URL; `[^{_SPACE}]` is Python's `[^\s]`, spelled out for the Rust engine.
USERS_URL: Final = rf"https?://[^{_SPACE}]+/users/([^/{_SPACE}?#]+)/?"
_USERS_URL: Final = re.compile(USERS_URL)


def _checker(name: str) -> Callable[[object], bool]:
    fullmatch = _COMPILED[name].fullmatch

    def check(value: object) -> bool:
        return not isinstance(value, str) or fullmatch(value) is not None

    check.__name__ = f"is_{name.replace('-', '_')}"
    return check


is_date_time: Final = _checker("date-time")
is_iri: Final = _checker("iri")
is_email: Final = _checker("email")
is_duration: Final = _checker("duration")


def anchored(pattern: str) -> str:
    """`pattern` as a JSON Schema `pattern` (unanchored search, `$` at the very end in
    ECMA 262 and the Rust engine, unlike Python's `$`, which allows a final newline)."""
    return f"^(?:{pattern})$"


def oneroster_user_sourced_id(value: object) -> str | None:
    """The `{sourcedId}` of a OneRoster users URL (`.../users/{sourcedId}`), as written.

    The one definition: the validator requires it for `process: true`, and the
    consumers read the student from it, so the three can never disagree."""
    match = _USERS_URL.fullmatch(value) if isinstance(value, str) else None
    return match[1] if match else None


def is_oneroster_user_url(value: object) -> bool:
    """What the OneRoster writer needs to name the student."""
    return oneroster_user_sourced_id(value) is not None


# For fastjsonschema: a string is a regular expression its generated code matches inline
# (`re.match`) instead of calling back into Python.
FAST_FORMATS: Final[dict[str, str | Callable[[object], bool]]] = {
    name: f"(?:{pattern})\\Z" for name, pattern in FORMAT_PATTERNS.items()
}

# Format name -> checker, for jsonschema. Non-strings pass: the `type` keyword reports those.
FORMAT_CHECKS: Final[dict[str, Callable[[object], bool]]] = {
    name: _checker(name) for name in FORMAT_PATTERNS
}

# The stable error code for each format.
FORMAT_CODES: Final[dict[str, str]] = {
    "date-time": "invalid_datetime",
    "iri": "invalid_uri",
    "uri": "invalid_uri",
    "email": "invalid_email",
    "duration": "invalid_duration",
}
