"""OAuth2 client credentials: one cached token, refreshed early and once after a 401."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import httpx
from pydantic import SecretStr

from consumers.oneroster.errors import AuthError, TokenUnavailableError
from consumers.oneroster.metrics import WriterMetrics

logger = logging.getLogger(__name__)


class TokenProvider:
    """Hands out a bearer token; concurrent callers share one fetch (the lock)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        token_url: str,
        client_id: str,
        client_secret: SecretStr,
        scope: str | None,
        refresh_margin_s: float,
        metrics: WriterMetrics,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._scope = scope
        self._margin = refresh_margin_s
        self._metrics = metrics
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self._next_reason = "initial"

    async def token(self) -> str:
        async with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                await self._fetch()
            assert self._token is not None
            return self._token

    async def invalidate(self, stale: str) -> None:
        """A call with `stale` got a 401: the next `token()` fetches a new one.

        Only if `stale` is still current, so N parallel 401s cause one refresh, not N.
        """
        async with self._lock:
            if self._token == stale:
                self._token = None
                self._next_reason = "unauthorized"

    async def _fetch(self) -> None:
        data = {"grant_type": "client_credentials"}
        if self._scope:
            data["scope"] = self._scope
        auth = (self._client_id, self._client_secret.get_secret_value())
        try:
            response = await self._http.post(self._token_url, data=data, auth=auth)
        except httpx.TransportError as exc:
            raise TokenUnavailableError(
                f"token endpoint unreachable: {type(exc).__name__}", code="token_unavailable"
            ) from None
        if response.status_code == 429 or response.status_code >= 500:
            raise TokenUnavailableError(
                f"token endpoint answered {response.status_code}", code="token_unavailable"
            )
        if response.status_code != 200:
            # Wrong credentials: every write would fail the same way.
            raise AuthError(
                f"token endpoint refused the client credentials ({response.status_code})",
                code="auth_failed",
            )
        try:
            body = response.json()
            token, ttl = body["access_token"], float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise TokenUnavailableError(
                "token endpoint answered without access_token", code="token_unavailable"
            ) from None
        if not isinstance(token, str):
            raise TokenUnavailableError("access_token is not a string", code="token_unavailable")
        # Refresh a margin before expiry, but never sooner than half the lifetime.
        self._expires_at = self._clock() + max(ttl - self._margin, ttl / 2)
        self._token = token
        self._metrics.token_refreshes.labels(self._next_reason).inc()
        logger.info("fetched OneRoster token (%s), valid %.0f s", self._next_reason, ttl)
        self._next_reason = "expiry"
