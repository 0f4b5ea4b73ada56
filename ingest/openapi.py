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
    text = resources.files("ingest").joinpath("contract.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _answer(description: str) -> dict[str, Any]:
    return {"description": description, "model": Answer}


INGEST_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    400: _answer("Invalid envelope (nothing published), malformed JSON or malformed gzip."),
    413: _answer("Body over the size limit, on the wire or after gzip decompression."),
    415: _answer("Content-Type is not JSON, or Content-Encoding is neither gzip nor none."),
}
PUBLISH_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **INGEST_RESPONSES,
    503: {
        **_answer("The broker did not acknowledge every event in time; retry after Retry-After."),
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}


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
