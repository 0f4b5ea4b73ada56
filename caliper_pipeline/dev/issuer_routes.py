"""HTTP side of the development issuer: `POST /oauth2/token` and the JWKS document.

Errors here follow OAuth2 (RFC 6749 5.2: `{"error", "error_description"}`), not the
events API's body, because that is what OAuth2 clients and SDKs parse.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Final
from urllib.parse import parse_qsl

import orjson
from fastapi import FastAPI
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from caliper_pipeline.dev.issuer import IssuerError, LocalIssuer
from ingest.errors import JSON, IngestError
from ingest.http.app import FrontDoorApp, create_app
from ingest.http.body import BodyHeaders, read_limited
from ingest.settings import Settings

TOKEN_PATH: Final = "/oauth2/token"
JWKS_PATH: Final = "/.well-known/jwks.json"
_FORM: Final = "application/x-www-form-urlencoded"
# A client-credentials form is a few hundred bytes.
_MAX_FORM_BYTES: Final = 8192
# Tokens and their errors must never be cached (RFC 6749 5.1).
_NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def add_issuer_routes(app: FastAPI, issuer: LocalIssuer) -> None:
    @app.get(JWKS_PATH, include_in_schema=False)
    async def jwks() -> Response:
        return Response(_dumps(issuer.jwks()), media_type=JSON)

    @app.post(TOKEN_PATH, include_in_schema=False)
    async def token(request: Request) -> Response:
        try:
            basic = _basic_credentials(request.headers.get("authorization"))
            form = await _form(request)
            answer = issuer.grant(form, basic)
        except IssuerError as exc:
            return _oauth_error(exc)
        return Response(answer.to_json(), media_type=JSON, headers=_NO_STORE)


def _dumps(value: object) -> bytes:
    return orjson.dumps(value)


def _oauth_error(exc: IssuerError) -> Response:
    headers = dict(_NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="caliper"'
    content = _dumps({"error": exc.error, "error_description": exc.description})
    return Response(content, status_code=exc.status, media_type=JSON, headers=headers)


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    """`Authorization: Basic base64(id:secret)`, as the timeback-caliper SDK sends it."""
    if header is None:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise IssuerError("invalid_client", "Only HTTP Basic client authentication", status=401)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise IssuerError("invalid_client", "Malformed Basic credentials", status=401) from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise IssuerError("invalid_client", "Malformed Basic credentials", status=401)
    return client_id, secret


async def _form(request: Request) -> dict[str, str]:
    headers = BodyHeaders.of(request.scope)
    if headers.content_type.split(";", 1)[0].strip() != _FORM:
        raise IssuerError("invalid_request", f"Content-Type must be {_FORM}")
    try:
        raw = await read_limited(request.receive, headers, _MAX_FORM_BYTES)
    except (IngestError, ClientDisconnect) as exc:
        raise IssuerError("invalid_request", "Request body too large or incomplete") from exc
    try:
        return dict(parse_qsl(raw.decode("utf-8"), strict_parsing=False))
    except (UnicodeDecodeError, ValueError) as exc:
        raise IssuerError("invalid_request", "Malformed form body") from exc


def create_app_with_issuer(
    *, settings: Settings, issuer: LocalIssuer | None, **options: Any
) -> FrontDoorApp:
    """The front door trusting the local issuer (when given, and auth is on), whose
    token and JWKS routes it then serves too; `options` go to `create_app`."""
    if issuer is None or not settings.auth_enabled:
        return create_app(settings=settings, **options)
    app = create_app(
        settings=settings,
        authenticator=issuer.authenticator(settings),
        token_url=TOKEN_PATH,
        known_clients=issuer.clients,
        **options,
    )
    add_issuer_routes(app, issuer)
    return app
