"""Per-client token buckets: requests per second and events per second.

The request bucket is checked before the body is read. The event count is only known
after parsing, so the event bucket may go into debt: an envelope is refused up front
while its client's bucket is below zero, and the events it carries are charged after
validation. A client that sends one huge envelope therefore waits for the refill
before its next one; others are not affected.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Final

from ingest.errors import IngestError

# Buckets are per client id (or per IP without auth); full buckets are equivalent to
# new ones, so beyond this many the full ones are forgotten.
_MAX_BUCKETS: Final = 10_000


class RateLimitedError(IngestError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """One bucket per key with `rate` tokens per second and room for `rate * burst_s`."""

    def __init__(self, rate: float, burst_s: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate * burst_s)
        self._buckets: dict[str, _Bucket] = {}

    def _refill(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= _MAX_BUCKETS:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(self.capacity, now)
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        return bucket

    def wait_s(self, key: str, cost: float, now: float) -> float:
        """0 when `cost` tokens are there (and takes them), else seconds until they are."""
        bucket = self._refill(key, now)
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return 0.0
        return (cost - bucket.tokens) / self.rate

    def charge(self, key: str, cost: float, now: float) -> None:
        """Take `cost` tokens even if that leaves a debt."""
        self._refill(key, now).tokens -= cost

    def _forget_full(self, now: float) -> None:
        for key, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.updated) * self.rate >= self.capacity:
                del self._buckets[key]


class RateLimiter:
    """Both limits for one front door; a rate of 0 turns that limit off."""

    def __init__(self, *, requests_per_s: float, events_per_s: float, burst_s: float) -> None:
        self._requests = TokenBuckets(requests_per_s, burst_s) if requests_per_s > 0 else None
        self._events = TokenBuckets(events_per_s, burst_s) if events_per_s > 0 else None

    @property
    def enabled(self) -> bool:
        return self._requests is not None or self._events is not None

    def admit(self, client: str) -> None:
        """Before reading the body: one request token, and no event debt."""
        now = time.monotonic()
        wait = 0.0
        if self._events is not None:
            wait = self._events.wait_s(client, 0.0, now)
        if wait == 0.0 and self._requests is not None:
            wait = self._requests.wait_s(client, 1.0, now)
        if wait > 0.0:
            raise RateLimitedError(
                "Rate limit exceeded for this client; retry after Retry-After seconds",
                retry_after_s=max(1, math.ceil(wait)),
            )

    def charge_events(self, client: str, count: int) -> None:
        if self._events is not None:
            self._events.charge(client, float(count), time.monotonic())
