"""The authenticator a front door gets from its `auth_*` settings."""

from __future__ import annotations

import logging

from ingest.auth.jwks import JwksCache, http_source
from ingest.auth.tokens import INGEST_SCOPES, Authenticator
from ingest.settings import Settings

logger = logging.getLogger(__name__)


class AuthConfigError(ValueError):
    """Auth is on but the settings do not say whom to trust."""


def authenticator_for(
    settings: Settings, *, required_scopes: frozenset[str] = INGEST_SCOPES
) -> Authenticator | None:
    """The authenticator for `auth_*` settings; None only when auth is explicitly off.
    The analytics service passes its own `required_scopes`."""
    if not settings.auth_enabled:
        return None
    if not settings.auth_issuer or not settings.auth_jwks_url:
        raise AuthConfigError(
            "authentication is on: set CALIPER_AUTH_ISSUER and CALIPER_AUTH_JWKS_URL, "
            "or CALIPER_AUTH_ENABLED=false to run without it"
        )
    keys = JwksCache(
        http_source(settings.auth_jwks_url, timeout_s=settings.auth_jwks_timeout_s),
        max_age_s=settings.auth_jwks_max_age_s,
        min_refresh_s=settings.auth_jwks_min_refresh_s,
    )
    return Authenticator(
        keys,
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        leeway_s=settings.auth_leeway_s,
        required_scopes=required_scopes,
    )


def token_url_for(settings: Settings) -> str:
    """What /openapi.json names as the token URL under `serve`."""
    if settings.auth_token_url:
        return settings.auth_token_url
    return f"{(settings.auth_issuer or '').rstrip('/')}/oauth2/token"
