"""What validating one envelope produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from validators.errors import ValidationIssue


@dataclass(slots=True)
class ValidationResult:
    """The verdict on one envelope.

    `events` holds the items of `data`, normalized (for example the official
    SDK's snake_case metric fields renamed to camelCase), in their original
    order; it is only meaningful when `valid` is true.
    """

    valid: bool
    errors: list[ValidationIssue] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
