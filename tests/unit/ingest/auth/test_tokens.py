"""The authenticator with real signed tokens and an in-memory JWKS source."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives import serialization

from ingest.auth.jwks import JwksCache, KeysUnavailableError
from ingest.auth.tokens import (
    SCOPE_ADMIN,
    Authenticator,
    AuthError,
    ExpiredTokenError,
    InsufficientScopeError,
    MissingTokenError,
)
from tests.tokens import AUDIENCE, ISSUER, Claims, SigningKey, jwks, sign

KEY = SigningKey.rsa("k1")
OTHER = SigningKey.rsa("k1")  # same kid, different key: a forgery
EC_KEY = SigningKey.ec("e1")


class Source:
    """A JWKS endpoint in memory: what it serves, whether it is up, how often asked."""

    def __init__(self, *keys: SigningKey) -> None:
        self.document: dict[str, Any] = jwks(*keys)
        self.up = True
        self.calls = 0

    async def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if not self.up:
            raise OSError("connection refused")
        return self.document


def authenticator(source: Source, *, min_refresh_s: float = 0.0) -> Authenticator:
    keys = JwksCache(source, max_age_s=300, min_refresh_s=min_refresh_s)
    return Authenticator(keys, issuer=ISSUER, audience=AUDIENCE, leeway_s=5)


def scope_with(token: str | None, scheme: str = "Bearer") -> dict[str, Any]:
    headers = [] if token is None else [(b"authorization", f"{scheme} {token}".encode())]
    return {"type": "http", "headers": headers}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: Claims, secret: bytes | None = None) -> str:
    """A token crafted by hand, as an attacker would: PyJWT refuses to make these."""
    signing_input = f"{b64(orjson.dumps(header))}.{b64(orjson.dumps(claims.as_dict()))}"
    signature = b""
    if secret is not None:
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


async def test_valid_rs256_and_es256_tokens_name_the_client() -> None:
    auth = authenticator(Source(KEY, EC_KEY))
    principal = await auth.authenticate(scope_with(sign(KEY)))
    assert principal.client_id == "app-1"
    admin = sign(EC_KEY, Claims(client_id="app-2", scope=SCOPE_ADMIN))
    assert (await auth.authenticate(scope_with(admin))).client_id == "app-2"


PUBLIC_PEM = KEY.private.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


@pytest.mark.parametrize(
    ("token", "error"),
    [
        (sign(KEY, Claims(lifetime_s=-60)), ExpiredTokenError),
        (sign(KEY, Claims(not_before_s=86_400)), AuthError),  # a day ahead: built at collection
        (sign(KEY, Claims(issuer="https://evil.test")), AuthError),
        (sign(KEY, Claims(audience="https://other.test")), AuthError),
        (sign(KEY, Claims(audience=None)), AuthError),
        (sign(OTHER), AuthError),
        (unsigned({"alg": "none", "kid": "k1"}, Claims()), AuthError),
        (unsigned({"alg": "HS256", "kid": "k1", "typ": "JWT"}, Claims(), PUBLIC_PEM), AuthError),
        (sign(KEY, Claims(extra={"exp": None})), AuthError),
        ("not.a.jwt", AuthError),
        ("x" * 9000, AuthError),
    ],
    ids=[
        "expired",
        "not-yet-valid",
        "wrong-issuer",
        "wrong-audience",
        "no-audience",
        "wrong-key",
        "alg-none",
        "hs256-public-key-as-secret",
        "no-exp",
        "malformed",
        "oversized",
    ],
)
async def test_bad_tokens_are_401(token: str, error: type[AuthError]) -> None:
    with pytest.raises(error) as caught:
        await authenticator(Source(KEY)).authenticate(scope_with(token))
    assert caught.value.status == 401
    assert 'error="invalid_token"' in caught.value.challenge()


async def test_missing_or_non_bearer_credentials_are_401() -> None:
    auth = authenticator(Source(KEY))
    with pytest.raises(MissingTokenError) as missing:
        await auth.authenticate(scope_with(None))
    assert missing.value.challenge() == 'Bearer realm="caliper"'
    with pytest.raises(AuthError):
        await auth.authenticate(scope_with("dXNlcjpwYXNz", scheme="Basic"))


async def test_token_without_an_ingest_scope_is_403() -> None:
    token = sign(KEY, Claims(scope="https://purl.imsglobal.org/spec/caliper/v1p1/scope/webhook"))
    with pytest.raises(InsufficientScopeError) as caught:
        await authenticator(Source(KEY)).authenticate(scope_with(token))
    assert caught.value.status == 403
    assert 'error="insufficient_scope"' in caught.value.challenge()


async def test_unknown_kid_triggers_exactly_one_refresh() -> None:
    source = Source(KEY)
    auth = authenticator(source)
    await auth.authenticate(scope_with(sign(KEY)))
    assert source.calls == 1
    rotated = SigningKey.rsa("k2")
    source.document = jwks(KEY, rotated)
    assert (await auth.authenticate(scope_with(sign(rotated)))).client_id == "app-1"
    assert source.calls == 2


async def test_random_kids_cause_at_most_one_fetch_per_interval() -> None:
    source = Source(KEY)
    auth = authenticator(source, min_refresh_s=60)
    await auth.authenticate(scope_with(sign(KEY)))
    for n in range(20):
        with pytest.raises(AuthError):
            await auth.authenticate(scope_with(sign(KEY, kid=f"random-{n}")))
    assert source.calls == 1


async def test_jwks_down_keeps_cached_keys_and_no_keys_is_503() -> None:
    source = Source(KEY)
    auth = authenticator(source)
    await auth.authenticate(scope_with(sign(KEY)))
    source.up = False
    # Cached keys keep working; an unknown kid is still refused, not a 503.
    assert (await auth.authenticate(scope_with(sign(KEY, Claims(client_id="b"))))).client_id
    with pytest.raises(AuthError):
        await auth.authenticate(scope_with(sign(KEY, kid="unknown")))
    cold = authenticator(source)
    with pytest.raises(KeysUnavailableError) as caught:
        await cold.authenticate(scope_with(sign(KEY)))
    assert caught.value.status == 503


async def test_verified_token_is_remembered_not_reverified() -> None:
    source = Source(KEY)
    auth = authenticator(source)
    token = sign(KEY)
    await auth.authenticate(scope_with(token))
    source.up = False
    source.document = {"keys": []}
    for _ in range(3):
        assert (await auth.authenticate(scope_with(token))).client_id == "app-1"
