"""Caliper 1.2 and Timeback envelope validation: compiled fast path, full explanations."""

from validators.envelope import EnvelopeValidator
from validators.errors import ValidationIssue
from validators.result import ValidationResult

__all__ = ["EnvelopeValidator", "ValidationIssue", "ValidationResult"]
