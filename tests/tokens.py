"""Real keys and real signed tokens for the auth tests (PyJWT signs, as an issuer would)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from ingest.auth.tokens import SCOPE_EVENT_CREATE

ISSUER = "https://issuer.test"
AUDIENCE = "https://caliper.test"


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    alg: str

    @classmethod
    def rsa(cls, kid: str) -> SigningKey:
        return cls(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256")

    @classmethod
    def ec(cls, kid: str) -> SigningKey:
        return cls(kid, ec.generate_private_key(ec.SECP256R1()), "ES256")

    def jwk(self) -> dict[str, Any]:
        if isinstance(self.private, rsa.RSAPrivateKey):
            public = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        else:
            public = ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "use": "sig", "alg": self.alg}


@dataclass
class Claims:
    """Defaults make a valid token; tests change one thing at a time."""

    client_id: str = "app-1"
    scope: str = SCOPE_EVENT_CREATE
    issuer: str = ISSUER
    audience: str | None = AUDIENCE
    # Tokens in parametrize lists are built at collection: give them room to outlive the run.
    lifetime_s: int = 3600
    not_before_s: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self.client_id,
            "client_id": self.client_id,
            "scope": self.scope,
            "iat": now,
            "nbf": now + self.not_before_s,
            "exp": now + self.lifetime_s,
        }
        if self.audience is not None:
            claims["aud"] = self.audience
        claims.update(self.extra)
        return claims


def sign(key: SigningKey, claims: Claims | None = None, *, kid: str | None = None) -> str:
    return jwt.encode(
        (claims or Claims()).as_dict(),
        key.private,
        algorithm=key.alg,
        headers={"kid": kid if kid is not None else key.kid},
    )


def jwks(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.jwk() for key in keys]}
