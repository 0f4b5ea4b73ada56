"""The issuer's signing keys: fetched, cached, refreshed on an unknown `kid`, rate-limited.

Behaviour when the JWKS endpoint is down: keys fetched earlier keep working (stale is
better than refusing every client while the issuer blips); with no key ever fetched,
requests get 503 `auth_unavailable` and clients retry. An unknown `kid` triggers at
most one fetch per `min_refresh_s`, so forged tokens with random kids cannot turn the
front door into a load generator against the issuer.
"""

from __future__ import annotations

import asyncio
import logging
import time
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any, Final

import orjson
from jwt import PyJWK
from jwt.exceptions import PyJWKError

from ingest.errors import IngestError

logger = logging.getLogger(__name__)

# The key types our two algorithms use: RS256 needs RSA, ES256 an EC P-256 key.
ALGORITHM_KEY_TYPES: Final = {"RS256": "RSA", "ES256": "EC"}
# A JWKS larger than this is not a key set; do not buffer it.
_MAX_JWKS_BYTES: Final = 1_048_576

JwksSource = Callable[[], Awaitable[dict[str, Any]]]


class KeysUnavailableError(IngestError):
    """No key was ever fetched: we cannot tell a good token from a forged one."""

    status = 503
    code = "auth_unavailable"
    retriable = True


def http_source(url: str, *, timeout_s: float) -> JwksSource:
    """Fetch the JWKS over HTTP(S) with the standard library, off the event loop.

    A fetch happens at most once per `min_refresh_s`, so a thread is cheaper than
    adding an HTTP client dependency to the server.
    """

    def fetch() -> dict[str, Any]:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            raw = response.read(_MAX_JWKS_BYTES + 1)
        if len(raw) > _MAX_JWKS_BYTES:
            raise ValueError("JWKS document too large")
        document = orjson.loads(raw)
        if not isinstance(document, dict):
            raise ValueError("JWKS document is not an object")
        return document

    async def source() -> dict[str, Any]:
        return await asyncio.to_thread(fetch)

    return source


class JwksCache:
    """Keys by `kid`. `key(kid)` is what the verifier calls on every cache miss."""

    def __init__(self, source: JwksSource, *, max_age_s: float, min_refresh_s: float) -> None:
        self._source = source
        self._max_age_s = max_age_s
        self._min_refresh_s = min_refresh_s
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = -float("inf")
        self._attempted_at = -float("inf")
        self._lock = asyncio.Lock()
        self.fetches = 0

    @property
    def has_keys(self) -> bool:
        return bool(self._keys)

    async def key(self, kid: str) -> PyJWK | None:
        """The key with this id, or None when the issuer does not know it."""
        key = self._keys.get(kid)
        if key is not None:
            # Known kid: a stale set is refreshed by whoever gets the lock first; the
            # others use the cached key rather than queue behind a slow issuer.
            if time.monotonic() - self._fetched_at > self._max_age_s and not self._lock.locked():
                await self.refresh()
                return self._keys.get(kid, key)
            return key
        await self.refresh()
        if not self._keys:
            raise KeysUnavailableError("The token issuer's keys are unavailable; retry later")
        return self._keys.get(kid)

    async def refresh(self) -> None:
        """Fetch once; concurrent callers wait for that one fetch instead of repeating it."""
        requested = time.monotonic()
        async with self._lock:
            if requested - self._attempted_at < self._min_refresh_s or (
                self._attempted_at >= requested
            ):
                return  # too soon after the last attempt, or fetched while we waited
            self._attempted_at = time.monotonic()
            self.fetches += 1
            try:
                keys = _usable_keys(await self._source())
            except Exception as exc:  # any failure: keep the keys we have
                logger.warning("JWKS fetch failed (%d keys kept): %s", len(self._keys), exc)
                return
            self._keys = keys
            self._fetched_at = time.monotonic()
            logger.info("JWKS fetched: %d usable keys", len(keys))


def _usable_keys(document: dict[str, Any]) -> dict[str, PyJWK]:
    """RSA and EC signing keys with a `kid`; anything else in the set is skipped."""
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise ValueError("JWKS document has no keys list")
    usable: dict[str, PyJWK] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or entry.get("use", "sig") != "sig":
            continue
        if entry.get("kty") not in ALGORITHM_KEY_TYPES.values():
            continue
        try:
            usable[kid] = PyJWK(entry)
        except PyJWKError as exc:
            logger.warning("JWKS key %r skipped: %s", kid[:40], exc)
    return usable
