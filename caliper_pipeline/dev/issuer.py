"""The development OAuth2 issuer of `up` and `token`: a local signing key and clients.

Not for production (`serve` trusts a real issuer through its JWKS). It exists so apps
and SDKs that fetch client-credentials tokens run unchanged against localhost. The
RSA key is generated on first use and kept in `issuer_dir` (mode 0600); so is the
generated client secret when `issuer_clients` is unset, so both survive restarts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jwt
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from caliper_pipeline.dev.settings import DevSettings
from consumers.analytics.auth import SCOPE_ANALYTICS_READ_ONLY
from ingest.auth.jwks import JwksCache
from ingest.auth.tokens import INGEST_SCOPES, SCOPE_ADMIN, SCOPE_EVENT_CREATE, Authenticator
from ingest.settings import Settings

logger = logging.getLogger(__name__)

# A fixed issuer name: `token` signs without knowing which port `up` got.
LOCAL_ISSUER: Final = "urn:caliper-pipeline:local-issuer"
DEFAULT_CLIENT: Final = "local-app"
KEY_FILE: Final = "signing-key.pem"
CLIENTS_FILE: Final = "clients.json"
# The Timeback contract's four scopes and the analytics one; a client asks for some,
# event.create by default.
GRANTABLE_SCOPES: Final = frozenset(
    {
        SCOPE_ANALYTICS_READ_ONLY,
        SCOPE_EVENT_CREATE,
        SCOPE_ADMIN,
        "https://purl.imsglobal.org/spec/caliper/v1p1/scope/webhook.create",
        "https://purl.imsglobal.org/spec/caliper/v1p1/scope/webhook.readonly",
    }
)


class IssuerError(Exception):
    """An OAuth2 error answer (RFC 6749 5.2): `error` code and HTTP status."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True, slots=True)
class Token:
    access_token: str
    expires_in: int
    scope: str

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "access_token": self.access_token,
                "token_type": "Bearer",
                "expires_in": self.expires_in,
                "scope": self.scope,
            }
        )


class LocalIssuer:
    def __init__(
        self,
        private_key: rsa.RSAPrivateKey,
        clients: dict[str, str],
        *,
        token_ttl_s: int,
        audience: str | None = None,
    ) -> None:
        self._key = private_key
        self.clients = clients
        self._ttl_s = token_ttl_s
        self._audience = audience
        public = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
        self.kid = _thumbprint(public)
        self._jwks = {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    @classmethod
    def from_settings(cls, settings: DevSettings, *, audience: str | None) -> LocalIssuer:
        directory = settings.issuer_dir
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = _load_or_create_key(directory / KEY_FILE)
        if settings.issuer_clients is not None:
            clients = parse_clients(settings.issuer_clients.get_secret_value())
        else:
            clients = _load_or_create_clients(directory / CLIENTS_FILE)
        return cls(key, clients, token_ttl_s=settings.issuer_token_ttl_s, audience=audience)

    def jwks(self) -> dict[str, Any]:
        return self._jwks

    def authenticator(
        self, settings: Settings, *, required_scopes: frozenset[str] = INGEST_SCOPES
    ) -> Authenticator:
        """What the front door checks tokens with: this issuer's keys, in-process (the
        same JWKS is served over HTTP for other clients)."""

        async def local_jwks() -> dict[str, Any]:
            return self._jwks

        keys = JwksCache(
            local_jwks,
            max_age_s=settings.auth_jwks_max_age_s,
            min_refresh_s=settings.auth_jwks_min_refresh_s,
        )
        return Authenticator(
            keys,
            issuer=LOCAL_ISSUER,
            audience=self._audience,
            leeway_s=settings.auth_leeway_s,
            required_scopes=required_scopes,
        )

    def issue(self, client_id: str, scopes: Iterable[str], *, now: float | None = None) -> Token:
        issued = int(time.time() if now is None else now)
        scope = " ".join(sorted(scopes))
        claims: dict[str, Any] = {
            "iss": LOCAL_ISSUER,
            "sub": client_id,
            "client_id": client_id,
            "scope": scope,
            "token_use": "access",
            "iat": issued,
            "nbf": issued,
            "exp": issued + self._ttl_s,
            "jti": str(uuid.uuid4()),
        }
        if self._audience is not None:
            claims["aud"] = self._audience
        token = jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})
        return Token(token, self._ttl_s, scope)

    def grant(self, form: dict[str, str], basic: tuple[str, str] | None) -> Token:
        """The client-credentials grant: credentials from HTTP Basic or the form."""
        if form.get("grant_type") != "client_credentials":
            raise IssuerError("unsupported_grant_type", "grant_type must be client_credentials")
        if basic is not None:
            client_id, secret = basic
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        expected = self.clients.get(client_id)
        # Compare against something even for unknown ids, so timing does not tell.
        if not hmac.compare_digest(
            (expected or secrets.token_hex(16)).encode(), secret.encode()
        ) or (expected is None):
            status = 401 if basic is not None else 400
            raise IssuerError("invalid_client", "Unknown client or wrong secret", status=status)
        requested = frozenset(form.get("scope", "").split()) or frozenset({SCOPE_EVENT_CREATE})
        if not requested <= GRANTABLE_SCOPES:
            raise IssuerError("invalid_scope", "Unknown scope requested")
        return self.issue(client_id, requested)


def parse_clients(text: str) -> dict[str, str]:
    """`id:secret,id2:secret2` as given in CALIPER_ISSUER_CLIENTS."""
    clients: dict[str, str] = {}
    for pair in text.split(","):
        client_id, sep, secret = pair.strip().partition(":")
        if not sep or not client_id or not secret:
            raise ValueError("issuer_clients must be id:secret pairs separated by commas")
        clients[client_id] = secret
    return clients


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: a kid that changes exactly when the key does."""
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _write_private(path: Path, data: bytes) -> bytes:
    """Create `path` with mode 0600 unless it exists; return what is on disk.

    Written beside and hard-linked into place, so two processes starting at once
    agree on one file and neither reads a half-written one.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    try:
        os.link(temporary, path)
        logger.info("created %s", path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path.read_bytes()


def _load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    if not path.exists():
        fresh = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _write_private(
            path,
            fresh.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} is not an RSA private key")
    return key


def _load_or_create_clients(path: Path) -> dict[str, str]:
    if not path.exists():
        _write_private(path, orjson.dumps({DEFAULT_CLIENT: secrets.token_urlsafe(24)}))
    data = orjson.loads(path.read_bytes())
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"{path} must map client ids to secrets")
    return {str(k): v for k, v in data.items()}
