"""One error root for the results writer; `retriable` says whether trying again can help."""

from __future__ import annotations

from typing import Any


class OneRosterError(Exception):
    """Root of every error the writer raises on purpose."""

    retriable: bool = False

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        # Stable snake_case code: a metric label and the DLQ record's `reason`.
        self.code = code


class MalformedRecordError(OneRosterError):
    """A record the writer cannot read or map; dead-lettered, never retried."""


class TokenUnavailableError(OneRosterError):
    """The token endpoint did not answer usefully this time (timeout, 5xx, 429)."""

    retriable = True


class AuthError(OneRosterError):
    """The token endpoint refused our credentials: fatal, every write would fail."""


class WriteFailedError(OneRosterError):
    """A write OneRoster refused for good (4xx) or that kept failing (retries exhausted).

    Carries what the DLQ record needs to explain itself: the request and the answer.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        request: dict[str, Any],
        response: dict[str, Any] | None,
        attempts: int,
    ) -> None:
        super().__init__(message, code=code)
        self.request = request
        self.response = response
        self.attempts = attempts
