"""Token buckets: bursts, refill, debt, and one client never slowing another."""

from __future__ import annotations

import pytest

from ingest.auth.ratelimit import RateLimitedError, RateLimiter, TokenBuckets


def test_bucket_allows_a_burst_then_waits_for_the_refill() -> None:
    buckets = TokenBuckets(rate=10, burst_s=1)
    assert [buckets.wait_s("a", 1, now=0.0) for _ in range(10)] == [0.0] * 10
    assert buckets.wait_s("a", 1, now=0.0) == pytest.approx(0.1)
    assert buckets.wait_s("a", 1, now=0.1) == 0.0
    assert buckets.wait_s("b", 1, now=0.1) == 0.0


def test_debt_delays_the_next_request_by_its_size() -> None:
    buckets = TokenBuckets(rate=10, burst_s=1)
    buckets.charge("a", 40, now=0.0)
    assert buckets.wait_s("a", 0, now=0.0) == pytest.approx(3.0)
    assert buckets.wait_s("a", 0, now=3.0) == 0.0


def test_limiter_off_by_default_rates() -> None:
    limiter = RateLimiter(requests_per_s=0, events_per_s=0, burst_s=1)
    assert not limiter.enabled
    for _ in range(1000):
        limiter.admit("a")


def test_limiter_raises_with_a_whole_retry_after() -> None:
    limiter = RateLimiter(requests_per_s=0.5, events_per_s=0, burst_s=2)
    limiter.admit("a")
    with pytest.raises(RateLimitedError) as caught:
        limiter.admit("a")
    assert caught.value.status == 429
    assert caught.value.retry_after_s == 2
