"""The baseline of benchmarks/http.py: the front door as most FastAPI users would write it.

A pydantic request model of the same Timeback events, FastAPI parses and validates the
body, then one `send_and_wait` per event (acks=all, like ours), answered with a dict.
With a public key, the bearer token is verified with PyJWT on every request (signature,
`iss`, `exp`, the event.create scope), as FastAPI's OAuth2 tutorial does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, Literal

import jwt
from aiokafka import AIOKafkaProducer
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

EVENT_CREATE = "https://purl.imsglobal.org/spec/caliper/v1p1/scope/event.create"
# Module level: FastAPI resolves the (postponed) annotations in the module's globals.
BEARER = HTTPBearer()


class User(BaseModel):
    id: str
    type: Literal["TimebackUser"]
    email: str | None = None


class Named(BaseModel):
    id: str | None = None
    name: str | None = None


class Context(BaseModel):
    id: str
    type: Literal["TimebackActivityContext"]
    subject: str
    app: Named | None = None
    activity: Named | None = None
    course: Named | None = None
    process: bool = False


class Metric(BaseModel):
    type: str
    value: float
    subType: str | None = None


class Collection(BaseModel):
    id: str
    type: Literal["TimebackActivityMetricsCollection", "TimebackTimeSpentMetricsCollection"]
    attempt: int | None = None
    items: list[Metric]


class Event(BaseModel):
    id: Annotated[str, Field(pattern=r"^urn:uuid:")]
    eventTime: datetime
    profile: Literal["TimebackProfile"]
    type: Literal["ActivityEvent", "TimeSpentEvent"]
    actor: User
    action: Literal["Completed", "SpentTime"]
    object: Context
    generated: Collection


class Envelope(BaseModel):
    sensor: str
    sendTime: datetime
    dataVersion: Literal["http://purl.imsglobal.org/ctx/caliper/v1p2"]
    data: Annotated[list[Event], Field(min_length=1)]


def create_baseline_app(
    bootstrap_servers: str, topic: str, *, public_key: Any = None, issuer: str = ""
) -> FastAPI:
    """Without `public_key`, anyone may post (the auth-off comparison)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")

    async def client_id(
        credentials: Annotated[HTTPAuthorizationCredentials, Depends(BEARER)],
    ) -> str:
        try:
            claims = jwt.decode(
                credentials.credentials,
                public_key,
                algorithms=["RS256"],
                issuer=issuer,
                options={"require": ["exp", "iss"]},
            )
        except jwt.InvalidTokenError as exc:
            raise HTTPException(401, "Invalid token") from exc
        if EVENT_CREATE not in str(claims.get("scope", "")).split():
            raise HTTPException(403, "Insufficient scope")
        return str(claims.get("client_id", ""))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await producer.start()
        try:
            yield
        finally:
            await producer.stop()

    app = FastAPI(lifespan=lifespan)

    checks = [Depends(client_id)] if public_key is not None else []

    @app.post("/caliper/event", dependencies=checks)
    async def create_events(envelope: Envelope) -> dict[str, Any]:
        for event in envelope.data:
            await producer.send_and_wait(
                topic,
                value=event.model_dump_json().encode(),
                key=event.actor.id.encode(),
            )
        return {"status": "success", "message": "Events processed", "errors": []}

    return app
