"""The dev OneRoster server's routes: token endpoint, gradebook PUT/GET, admin endpoints."""

from __future__ import annotations

import base64
import binascii
import secrets
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qs

import orjson
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from caliper_pipeline.dev.oneroster.faults import ADMIN_PREFIX, Fault, FaultInjector, FaultPlan
from caliper_pipeline.dev.oneroster.query import QueryError, page
from caliper_pipeline.dev.oneroster.shapes import COLLECTIONS, error_body, validation_fields
from caliper_pipeline.dev.oneroster.store import Store

GRADEBOOK: Final = "/ims/oneroster/gradebook/v1p2"
TOKEN_PATH: Final = "/oauth2/token"


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def _error(status: int, description: str, code_minor: str, *fields: tuple[str, str]) -> Response:
    return _json(error_body(description, code_minor, *fields), status)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class DevOneRoster:
    """The routes over one `Store` and one `FaultPlan`; `asgi` is the app to serve."""

    def __init__(self, *, client_id: str, client_secret: str, token_ttl_s: float) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.store = Store(token_ttl_s=token_ttl_s)
        self.faults = FaultPlan(TOKEN_PATH)
        routes = [
            Route(TOKEN_PATH, self.token, methods=["POST"]),
            Route(GRADEBOOK + "/{collection}", self.list_objects, methods=["GET"]),
            Route(GRADEBOOK + "/{collection}/{sourced_id}", self.get, methods=["GET"]),
            Route(GRADEBOOK + "/{collection}/{sourced_id}", self.put, methods=["PUT"]),
            Route(ADMIN_PREFIX + "faults", self.add_fault, methods=["POST"]),
            Route(ADMIN_PREFIX + "faults", self.clear_faults, methods=["DELETE"]),
            Route(ADMIN_PREFIX + "expire-tokens", self.expire_tokens, methods=["POST"]),
            Route(ADMIN_PREFIX + "stats", self.stats, methods=["GET"]),
            Route(ADMIN_PREFIX + "reset", self.reset, methods=["POST"]),
        ]
        self.asgi = FaultInjector(Starlette(routes=routes), self.faults)

    async def token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("latin-1")).items()}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                client_id = secret = None
        if form.get("grant_type") != "client_credentials":
            return _json({"error": "unsupported_grant_type"}, 400)
        ok = secrets.compare_digest(client_id or "", self.client_id) and secrets.compare_digest(
            secret or "", self.client_secret
        )
        if not ok:
            return _json({"error": "invalid_client"}, 401)
        return _json(
            {
                "access_token": self.store.issue_token(),
                "token_type": "Bearer",
                "expires_in": int(self.store.token_ttl_s),
            }
        )

    def _count(self, request: Request, collection: str, status: int) -> None:
        self.store.requests[f"{request.method} {collection} {status}"] += 1

    async def put(self, request: Request) -> Response:
        collection, sourced_id = (
            request.path_params["collection"],
            request.path_params["sourced_id"],
        )
        answer = await self._put(request, collection, sourced_id)
        self._count(request, collection, answer.status_code)
        return answer

    async def _put(self, request: Request, collection: str, sourced_id: str) -> Response:
        if collection not in COLLECTIONS:
            return _error(404, f"unknown collection {collection}", "unknownobject")
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not self.store.token_valid(auth[7:]):
            return _error(401, "missing, invalid or expired token", "unauthorisedrequest")
        wrapper, model = COLLECTIONS[collection]
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return _error(400, "body is not JSON", "invalid_data")
        if not isinstance(body, dict) or not isinstance(body.get(wrapper), dict):
            return _error(400, f"body must be {{{wrapper!r}: {{...}}}}", "invalid_data")
        try:
            parsed = model.model_validate(body[wrapper])
        except ValidationError as exc:
            fields = validation_fields(wrapper, exc)
            return _error(400, f"invalid {wrapper}", "invalid_data", *fields)
        if parsed.sourcedId is not None and parsed.sourcedId != sourced_id:
            return _error(400, "sourcedId in the body differs from the URL", "invalid_data")
        if collection == "assessmentResults":
            item = body[wrapper]["assessmentLineItem"]["sourcedId"]
            if item not in self.store.objects["assessmentLineItems"]:
                return _error(404, f"assessmentLineItem {item} not found", "unknownobject")
        stored = {**body[wrapper], "sourcedId": sourced_id, "dateLastModified": _now()}
        stored.setdefault("status", "active")
        created = sourced_id not in self.store.objects[collection]
        self.store.objects[collection][sourced_id] = stored
        self.store.writes[collection][sourced_id] += 1
        return _json({wrapper: stored}, 201 if created else 200)

    async def get(self, request: Request) -> Response:
        collection, sourced_id = (
            request.path_params["collection"],
            request.path_params["sourced_id"],
        )
        if collection not in COLLECTIONS:
            return _error(404, f"unknown collection {collection}", "unknownobject")
        found = self.store.objects[collection].get(sourced_id)
        if found is None:
            return _error(404, f"{sourced_id} not found", "unknownobject")
        return _json({COLLECTIONS[collection][0]: found})

    async def list_objects(self, request: Request) -> Response:
        collection = request.path_params["collection"]
        if collection not in COLLECTIONS:
            return _error(404, f"unknown collection {collection}", "unknownobject")
        try:
            items, total, limit, offset = page(
                list(self.store.objects[collection].values()), request.query_params
            )
        except QueryError as exc:
            return _error(400, str(exc), exc.code_minor)
        body = {
            collection: items,
            "totalCount": total,
            "pageCount": -(-total // limit),
            "pageNumber": offset // limit + 1,
            "offset": offset,
            "limit": limit,
        }
        return _json(body, headers={"X-Total-Count": str(total)})

    async def add_fault(self, request: Request) -> Response:
        try:
            fault = Fault.model_validate_json(await request.body())
        except ValidationError as exc:
            return _error(400, "invalid fault", "invalid_data", *validation_fields("fault", exc))
        self.faults.add(fault)
        return _json({"pending": self.faults.pending}, 201)

    async def clear_faults(self, request: Request) -> Response:
        self.faults.clear()
        return _json({"pending": 0})

    async def expire_tokens(self, request: Request) -> Response:
        return _json({"expired": self.store.expire_tokens()})

    async def stats(self, request: Request) -> Response:
        return _json(
            {
                **self.store.stats(),
                "faultHits": dict(self.faults.hits),
                "faultsPending": self.faults.pending,
            }
        )

    async def reset(self, request: Request) -> Response:
        self.store.reset()
        self.faults.clear()
        self.faults.hits.clear()
        return _json({"reset": True})
