"""The OpenAPI description of the ingest endpoints, taken from the Timeback contract.

The hot routes read raw bytes (no request model), so FastAPI cannot infer their body:
we document it ourselves with the contract's Envelope schema and its eight examples.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Final

from pydantic import BaseModel, Field

from ingest.auth.tokens import INGEST_SCOPES, SCOPE_ADMIN, SCOPE_EVENT_CREATE
from ingest.errors import JSON


class ErrorEntry(BaseModel):
    index: int | None = Field(description="Position of the item in `data`; null: envelope.")
    path: str = Field(description="JSON path of the problem, e.g. `$.data[0].actor`.")
    code: str = Field(description="Stable snake_case code clients can branch on.")
    message: str = Field(description="What is wrong, for a developer.")


class Answer(BaseModel):
    """Every answer of the service has this shape, success or error."""

    status: str = Field(description="`success` or `error`.")
    message: str
    errors: list[ErrorEntry]


@cache
def contract() -> dict[str, Any]:
    text = resources.files("ingest.http").joinpath("contract.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _answer(description: str) -> dict[str, Any]:
    return {"description": description, "model": Answer}


_RETRY_AFTER: Final = {"Retry-After": {"schema": {"type": "integer"}}}
_CHALLENGE: Final = {"WWW-Authenticate": {"schema": {"type": "string"}}}
INGEST_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    400: _answer(
        "Invalid envelope (nothing published), malformed JSON or gzip, or a document "
        "limit broken (nesting depth, string length, number range)."
    ),
    413: _answer("Body over the size limit, on the wire or after gzip decompression."),
    415: _answer("Content-Type is not JSON, or Content-Encoding is neither gzip nor none."),
    429: {**_answer("This client's rate limit; retry after Retry-After."), "headers": _RETRY_AFTER},
}
AUTH_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    401: {
        **_answer("No bearer token, or a malformed, expired or forged one."),
        "headers": _CHALLENGE,
    },
    403: {**_answer("Valid token without the event.create or admin scope."), "headers": _CHALLENGE},
    503: {
        **_answer("The token issuer's keys are unavailable; retry after Retry-After."),
        "headers": _RETRY_AFTER,
    },
}
PUBLISH_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **INGEST_RESPONSES,
    503: {
        **_answer(
            "The broker did not acknowledge every event in time, too many events wait for it "
            "(`overloaded`), or, with auth, the token issuer's keys are unavailable; retry "
            "after Retry-After. Some events of the envelope may already be stored: retry "
            "with the same event ids (consumers drop repeats by id; new ids would count "
            "the same learning twice)."
        ),
        "headers": _RETRY_AFTER,
    },
}
SECURITY_SCHEME: Final = "OAuth2"
_SCOPE_TEXT: Final = {
    SCOPE_ADMIN: "Admin scope (can call all endpoints)",
    SCOPE_EVENT_CREATE: "Event create scope (can create events)",
}


def add_security(document: dict[str, Any], token_url: str, paths: list[str]) -> dict[str, Any]:
    """Declare the OAuth2 client-credentials scheme (as the Timeback contract does) and
    require it, with either ingest scope, on the given paths' POST operations."""
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
        "type": "oauth2",
        "flows": {"clientCredentials": {"tokenUrl": token_url, "scopes": _SCOPE_TEXT}},
    }
    for path in paths:
        operation = document["paths"][path]["post"]
        # A list of alternatives: either scope is enough.
        operation["security"] = [{SECURITY_SCHEME: [scope]} for scope in sorted(INGEST_SCOPES)]
        for status, spec in AUTH_RESPONSES.items():
            if str(status) not in operation["responses"]:
                response = {k: v for k, v in spec.items() if k != "model"}
                response["content"] = {JSON: {"schema": {"$ref": "#/components/schemas/Answer"}}}
                operation["responses"][str(status)] = response
    return document


def request_body_spec() -> dict[str, Any]:
    """`openapi_extra` for both ingest routes."""
    return {
        "requestBody": {
            "description": "The Caliper envelope containing events to process. "
            "`Content-Encoding: gzip` is accepted.",
            "required": True,
            "content": {
                JSON: {
                    "schema": {"$ref": "#/components/schemas/Envelope"},
                    "examples": contract()["examples"],
                }
            },
        }
    }


def add_contract_schemas(document: dict[str, Any]) -> dict[str, Any]:
    """Put the contract's Envelope, Event, Entity and AllProfiles under components."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(contract()["schemas"])
    return document
