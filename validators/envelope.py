"""Validate a whole Caliper envelope: placeholder, replaced by the real dispatcher."""

from __future__ import annotations

from typing import Any

from validators.errors import ValidationIssue
from validators.result import ValidationResult


class EnvelopeValidator:
    def __init__(self, *, max_events: int = 1000, max_errors: int = 100) -> None:
        self.max_events = max_events
        self.max_errors = max_errors

    def validate(self, envelope: Any) -> ValidationResult:
        if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), list):
            issue = ValidationIssue(None, "$.data", "missing_field", "data is required")
            return ValidationResult(valid=False, errors=[issue])
        return ValidationResult(valid=True, events=list(envelope["data"]))
