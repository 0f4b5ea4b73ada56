"""Bearer tokens: who is calling (client id) and may they post events (scopes).

PyJWT does the cryptography; this module decides policy. Only RS256 and ES256 are
accepted, and the algorithm comes from the key the issuer published, never from the
token, so `alg: none` and HS256 signed with the public key are refused before any
signature is computed. A verified token is remembered (bounded, at most
`_VERIFIED_TTL_S`, never past its `exp`) so a client reusing its token, as every SDK
does, costs a dictionary lookup instead of a signature check per request.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Final

import jwt
from starlette.types import Scope

from ingest.auth.jwks import ALGORITHM_KEY_TYPES, JwksCache
from ingest.errors import IngestError

logger = logging.getLogger(__name__)

SCOPE_EVENT_CREATE: Final = "https://purl.imsglobal.org/spec/caliper/v1p1/scope/event.create"
SCOPE_ADMIN: Final = "https://purl.imsglobal.org/spec/caliper/v1p1/scope/admin"
# Either one lets a client post and validate events (the Timeback contract's scopes).
INGEST_SCOPES: Final = frozenset({SCOPE_EVENT_CREATE, SCOPE_ADMIN})
REALM: Final = "caliper"

_KEY_ALGORITHM: Final = {kty: alg for alg, kty in ALGORITHM_KEY_TYPES.items()}
# A JWT from a real issuer is well under 2 KB; larger is not worth parsing.
_MAX_TOKEN_CHARS: Final = 8192
_VERIFIED_TTL_S: Final = 60.0
_VERIFIED_MAX: Final = 10_000


@dataclass(frozen=True, slots=True)
class Principal:
    client_id: str
    scopes: frozenset[str]


class AuthError(IngestError):
    """401: no usable token. The WWW-Authenticate value follows RFC 6750."""

    status = 401
    code = "invalid_token"

    def challenge(self) -> str:
        message = self.message.encode("ascii", "replace").decode().replace('"', "'")
        return f'Bearer realm="{REALM}", error="invalid_token", error_description="{message}"'


class MissingTokenError(AuthError):
    code = "missing_token"

    def challenge(self) -> str:
        # RFC 6750 3.1: no error code when the request carried no credentials at all.
        return f'Bearer realm="{REALM}"'


class ExpiredTokenError(AuthError):
    code = "token_expired"


class InsufficientScopeError(AuthError):
    status = 403
    code = "insufficient_scope"

    def __init__(self, message: str, *, wanted: frozenset[str] = INGEST_SCOPES) -> None:
        super().__init__(message)
        self.wanted = wanted

    def challenge(self) -> str:
        wanted = " ".join(sorted(self.wanted))
        return f'Bearer realm="{REALM}", error="insufficient_scope", scope="{wanted}"'


def bearer_token(scope: Scope) -> str:
    """The token of `Authorization: Bearer <token>`, from the raw ASGI headers."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            text: str = value.decode("latin-1")
            scheme, _, token = text.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise AuthError("Authorization must be 'Bearer <token>'")
            token = token.strip()
            if len(token) > _MAX_TOKEN_CHARS:
                raise AuthError("Bearer token is too long")
            return token
    raise MissingTokenError("A bearer token is required (Authorization: Bearer <token>)")


class Authenticator:
    """Verify a token against the issuer's keys and check the ingest scopes."""

    def __init__(
        self,
        keys: JwksCache,
        *,
        issuer: str,
        audience: str | None = None,
        leeway_s: int = 30,
        required_scopes: frozenset[str] = INGEST_SCOPES,
    ) -> None:
        """`required_scopes`: a token needs one of them (the front door's by default)."""
        self.keys = keys
        self.required_scopes = required_scopes
        self.issuer = issuer
        self._audience = audience
        self._leeway_s = leeway_s
        # token -> (principal, remember until (monotonic))
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    async def authenticate(self, scope: Scope) -> Principal:
        token = bearer_token(scope)
        remembered = self._verified.get(token)
        if remembered is not None and remembered[1] > time.monotonic():
            principal = remembered[0]
        else:
            principal, until = await self._verify(token)
            self._remember(token, principal, until)
        if not principal.scopes & self.required_scopes:
            names = " or ".join(sorted(scope.rsplit("/", 1)[-1] for scope in self.required_scopes))
            raise InsufficientScopeError(
                f"Token of client {principal.client_id[:60]!r} lacks the {names} scope",
                wanted=self.required_scopes,
            )
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"Malformed token: {exc}") from exc
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALGORITHM_KEY_TYPES:
            raise AuthError(f"Token algorithm must be RS256 or ES256, not {str(alg)[:20]!r}")
        if not isinstance(kid, str):
            raise AuthError("Token header has no key id (kid)")
        key = await self.keys.key(kid)
        if key is None:
            raise AuthError("Token is signed by a key the issuer does not publish")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                # From the key, not the token (RFC 8725 2.1).
                algorithms=[_KEY_ALGORITHM.get(key.key_type or "", "RS256")],
                issuer=self.issuer,
                audience=self._audience,
                leeway=self._leeway_s,
                options={
                    "require": ["exp", "iss"],
                    "verify_aud": self._audience is not None,
                    # A short RSA key is a misconfigured issuer: refuse, do not warn.
                    "enforce_minimum_key_length": True,
                },
            )
        except jwt.ExpiredSignatureError as exc:
            raise ExpiredTokenError("Token has expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise AuthError("Token is not valid yet") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"Token rejected: {exc}") from exc
        principal = Principal(_client_id(claims), _scopes(claims))
        # Remember no longer than the token lives (plus leeway), and at most a minute
        # so a key the issuer withdraws stops working soon for tokens already seen.
        lifetime = float(claims["exp"]) + self._leeway_s - time.time()
        return principal, time.monotonic() + min(_VERIFIED_TTL_S, lifetime)

    def _remember(self, token: str, principal: Principal, until: float) -> None:
        self._verified[token] = (principal, until)
        if len(self._verified) > _VERIFIED_MAX:
            self._verified.popitem(last=False)


def _client_id(claims: dict[str, Any]) -> str:
    """Cognito puts it in `client_id`, other issuers in `azp` or `sub`."""
    for name in ("client_id", "azp", "sub"):
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    raise AuthError("Token names no client (client_id, azp or sub)")


def _scopes(claims: dict[str, Any]) -> frozenset[str]:
    """`scope` is a space-separated string (RFC 8693); some issuers send a `scp` list."""
    scope = claims.get("scope")
    if isinstance(scope, str):
        return frozenset(scope.split())
    scp = claims.get("scp")
    if isinstance(scp, list):
        return frozenset(s for s in scp if isinstance(s, str))
    return frozenset()
