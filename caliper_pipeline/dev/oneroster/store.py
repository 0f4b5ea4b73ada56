"""What the dev server has received: objects by collection, write counts, issued tokens."""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Callable
from typing import Any


class Store:
    def __init__(self, *, token_ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.objects: dict[str, dict[str, dict[str, Any]]] = {
            "assessmentLineItems": {},
            "assessmentResults": {},
        }
        # PUTs accepted per (collection, sourcedId): proves "written once" in fault tests.
        self.writes: dict[str, Counter[str]] = {name: Counter() for name in self.objects}
        self.requests: Counter[str] = Counter()
        self.token_ttl_s = token_ttl_s
        self._clock = clock
        self._tokens: dict[str, float] = {}
        self.tokens_issued = 0

    def issue_token(self) -> str:
        token = secrets.token_urlsafe(24)
        self._tokens[token] = self._clock() + self.token_ttl_s
        self.tokens_issued += 1
        return token

    def token_valid(self, token: str) -> bool:
        expires = self._tokens.get(token)
        return expires is not None and self._clock() < expires

    def expire_tokens(self) -> int:
        """Every issued token stops working at once (a 401 on its next use)."""
        count = len(self._tokens)
        self._tokens.clear()
        return count

    def reset(self) -> None:
        for collection in self.objects.values():
            collection.clear()
        for counts in self.writes.values():
            counts.clear()
        self.requests.clear()
        self._tokens.clear()
        self.tokens_issued = 0

    def stats(self) -> dict[str, Any]:
        return {
            "counts": {name: len(items) for name, items in self.objects.items()},
            "writes": {name: dict(counts) for name, counts in self.writes.items()},
            "requests": dict(self.requests),
            "tokensIssued": self.tokens_issued,
        }
