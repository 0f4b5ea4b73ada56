"""String formats shared by the fast path (fastjsonschema) and the explainer (jsonschema).

Both validators get the same callables, so they can never disagree on a format.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Final

# RFC 3339 with a mandatory offset and any fractional precision: real clients
# send whole seconds, milliseconds and microseconds. Field ranges are in the
# pattern; only days 29-31 need a calendar.
_DATE_TIME: Final = re.compile(
    r"(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)"
    r"(?:\.\d+)?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)"
)
# An IRI as the documentation's own examples use them: a scheme, a colon, then
# no white space or control characters. Deliberately lenient about other
# characters: the seed's examples contain placeholders such as `<userId>`.
_IRI: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f]+")
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_DURATION: Final = re.compile(
    r"P(?!$)(?:\d+(?:[.,]\d+)?Y)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?W)?(?:\d+(?:[.,]\d+)?D)?"
    r"(?:T(?=\d)(?:\d+(?:[.,]\d+)?H)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?S)?)?"
)
_USERS_URL: Final = re.compile(r"https?://[^\s]+/users/([^/\s?#]+)/?")


def is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return False
    day = int(match[3])
    if day <= 28:
        return True
    try:
        date(int(match[1]), int(match[2]), day)
    except ValueError:
        return False
    return True


def is_iri(value: object) -> bool:
    return not isinstance(value, str) or _IRI.fullmatch(value) is not None


def is_email(value: object) -> bool:
    return not isinstance(value, str) or _EMAIL.fullmatch(value) is not None


def is_duration(value: object) -> bool:
    return not isinstance(value, str) or _DURATION.fullmatch(value) is not None


def oneroster_user_sourced_id(value: object) -> str | None:
    """The `{sourcedId}` of a OneRoster users URL (`.../users/{sourcedId}`), as written.

    The one definition: the validator requires it for `process: true`, and the
    consumers read the student from it, so the three can never disagree."""
    match = _USERS_URL.fullmatch(value) if isinstance(value, str) else None
    return match[1] if match else None


def is_oneroster_user_url(value: object) -> bool:
    """What the OneRoster writer needs to name the student."""
    return oneroster_user_sourced_id(value) is not None


# For fastjsonschema: where a regular expression alone decides, hand it over as
# a pattern (anchored), so the generated code matches inline instead of calling
# back into Python; date-time still needs a calendar for days 29-31.
FAST_FORMATS: Final[dict[str, str | Callable[[object], bool]]] = {
    "date-time": is_date_time,
    "iri": _IRI.pattern + r"\Z",
    "uri": _IRI.pattern + r"\Z",
    "email": _EMAIL.pattern + r"\Z",
    "duration": _DURATION.pattern + r"\Z",
}

# Format name -> checker. Non-strings pass: the `type` keyword reports those.
FORMAT_CHECKS: Final[dict[str, Callable[[object], bool]]] = {
    "date-time": is_date_time,
    "iri": is_iri,
    "uri": is_iri,
    "email": is_email,
    "duration": is_duration,
}

# The stable error code for each format.
FORMAT_CODES: Final[dict[str, str]] = {
    "date-time": "invalid_datetime",
    "iri": "invalid_uri",
    "uri": "invalid_uri",
    "email": "invalid_email",
    "duration": "invalid_duration",
}
