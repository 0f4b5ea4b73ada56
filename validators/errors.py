"""The one error type of the validation layer: a precise, stable problem report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# Values are echoed back to clients only up to this many characters.
ECHO_LIMIT: Final = 60


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One problem in an envelope.

    `index` is the position of the item in `data` (None for envelope-level
    problems), `path` a JSON path such as `$.data[3].generated.items[1].type`,
    `code` a stable snake_case identifier clients can branch on, and `message`
    a sentence a developer can act on.
    """

    index: int | None
    path: str
    code: str
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"index": self.index, "path": self.path, "code": self.code, "message": self.message}


def echo(value: object) -> str:
    """Render a client value for a message without echoing long values back."""
    text = repr(value)
    if len(text) > ECHO_LIMIT:
        return text[: ECHO_LIMIT - 3] + "..."
    return text


def join_path(base: str, *parts: str | int) -> str:
    """Append object keys and array indexes to a JSON path."""
    out = base
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            out += f"[{part!r}]"
    return out
