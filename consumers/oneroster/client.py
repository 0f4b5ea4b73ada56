"""Idempotent OneRoster PUTs with bounded retries: backoff with full jitter, Retry-After,
one token refresh on a 401. What cannot be written raises `WriteFailedError`."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final

import httpx
import orjson

from consumers.oneroster.auth import TokenProvider
from consumers.oneroster.errors import TokenUnavailableError, WriteFailedError
from consumers.oneroster.mapping import ResultPlan, Write
from consumers.oneroster.metrics import WriterMetrics
from consumers.oneroster.settings import WriterSettings

logger = logging.getLogger(__name__)

# Keep DLQ records small: an HTML error page is not worth 1 MB per record.
ANSWER_LIMIT: Final = 4096


def retry_after_s(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def answer_of(response: httpx.Response) -> dict[str, Any]:
    text = response.text
    try:
        body: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        body = text[:ANSWER_LIMIT]
    if len(text) > ANSWER_LIMIT and not isinstance(body, str):
        body = text[:ANSWER_LIMIT]
    return {"status": response.status_code, "body": body}


class OneRosterClient:
    """Writes a `ResultPlan`: line item first, then result (the result refers to it)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: TokenProvider,
        settings: WriterSettings,
        metrics: WriterMetrics,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        assert settings.base_url is not None
        self._http = http
        self._tokens = tokens
        self._settings = settings
        self._metrics = metrics
        self._base = settings.base_url.rstrip("/")
        self._sleep = sleep
        self._rng = rng or random.Random()

    async def write(self, plan: ResultPlan) -> None:
        await self.put(plan.line_item)
        await self.put(plan.result)

    async def put(self, write: Write) -> None:
        url = self._base + write.path
        content = orjson.dumps({_wrapper(write.collection): write.body})
        request = {"method": "PUT", "url": url, "body": write.body}
        retries, refreshed = 0, False
        while True:
            answer: dict[str, Any] | None = None
            delay: float | None = None
            try:
                token = await self._tokens.token()
                response = await self._http.put(
                    url,
                    content=content,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                )
            except httpx.TimeoutException:
                reason = "timeout"
            except httpx.TransportError:
                reason = "connection"
            except TokenUnavailableError:
                reason = "token_unavailable"
            else:
                status = response.status_code
                if status < 300:
                    return
                answer = answer_of(response)
                if status == 401 and not refreshed:
                    # Expired or revoked early: refresh once, at once, without backoff.
                    refreshed = True
                    self._metrics.retries.labels("unauthorized").inc()
                    await self._tokens.invalidate(token)
                    continue
                if status == 429:
                    reason = "rate_limited"
                    delay = retry_after_s(response.headers.get("Retry-After"))
                elif status >= 500:
                    reason = "server_error"
                else:
                    code = "unauthorized" if status in (401, 403) else "rejected"
                    raise WriteFailedError(
                        f"OneRoster answered {status} to PUT {write.collection}",
                        code=code,
                        request=request,
                        response=answer,
                        attempts=retries + 1,
                    )
            if retries >= self._settings.retry_max:
                raise WriteFailedError(
                    f"PUT {write.collection} failed {retries + 1} times, last: {reason}",
                    code="retries_exhausted",
                    request=request,
                    response=answer or {"error": reason},
                    attempts=retries + 1,
                )
            self._metrics.retries.labels(reason).inc()
            wait = self._backoff(retries, delay)
            logger.debug("retrying PUT %s in %.2f s (%s)", write.path, wait, reason)
            await self._sleep(wait)
            retries += 1

    def _backoff(self, retries: int, retry_after: float | None) -> float:
        if retry_after is not None:
            # The server said when; a little jitter spreads the herd that got the same answer.
            capped = min(retry_after, self._settings.retry_after_max_s)
            return capped + self._rng.uniform(0, self._settings.retry_backoff_s / 2)
        ceiling = min(
            self._settings.retry_backoff_max_s, self._settings.retry_backoff_s * 2**retries
        )
        return self._rng.uniform(0, ceiling)


def _wrapper(collection: str) -> str:
    # OneRoster wraps a single object in its singular name: {"assessmentResult": {...}}.
    return collection.removesuffix("s")
