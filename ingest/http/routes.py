"""The ingest endpoints: raw body → orjson → validator → Kafka, with no request model.

FastAPI would parse the envelope into pydantic models and then we would validate it
again; reading the bytes ourselves and validating once is most of the speed-up. The
OpenAPI document still describes the body (see ingest.http.openapi). The same core serves
the FastAPI routes and the pure-ASGI shortcut in ingest.http.shortcut.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope

from ingest.auth.ratelimit import RateLimitedError, RateLimiter
from ingest.auth.tokens import Authenticator, AuthError
from ingest.errors import (
    JSON,
    DocumentLimitExceededError,
    IngestError,
    MalformedJsonError,
    PublishError,
    body,
)
from ingest.http.body import BodyHeaders, read_body
from ingest.kafka.publisher import Publisher
from ingest.kafka.records import context_of, event_records, rejected_record
from ingest.metrics import ANONYMOUS, UNAUTHENTICATED, Metrics
from ingest.settings import Settings
from validators import EnvelopeValidator, ValidationIssue
from validators.limits import DocumentLimitError

logger = logging.getLogger(__name__)

EVENT_PATH: Final = "/caliper/event"
VALIDATE_PATH: Final = "/caliper/event/validate"
# Kafka header naming the authenticated client that posted the event.


@dataclass(slots=True)
class Answer:
    """An HTTP answer before it is sent: status, JSON body, extra headers."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        return Response(self.body, status_code=self.status, media_type=JSON, headers=self.headers)


class _Clock:
    """ISO 8601 UTC time with milliseconds, formatted at most once per millisecond."""

    def __init__(self) -> None:
        self._ms = -1
        self._text = ""

    def now(self) -> str:
        ms = time.time_ns() // 1_000_000
        if ms != self._ms:
            moment = datetime.fromtimestamp(ms / 1000, UTC)
            self._ms = ms
            self._text = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return self._text


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class IngestHandlers:
    """`POST /caliper/event` and `/caliper/event/validate`, sharing one path."""

    def __init__(
        self,
        *,
        settings: Settings,
        validator: EnvelopeValidator,
        publisher: Publisher,
        metrics: Metrics,
        authenticator: Authenticator | None,
        limiter: RateLimiter,
    ) -> None:
        self._settings = settings
        if validator.limits is None:
            raise ValueError("the front door's validator needs the document limits")
        self._validator = validator
        self._publisher = publisher
        self._metrics = metrics
        self._authenticator = authenticator
        self._limiter = limiter
        self._clock = _Clock()

    async def event(self, request: Request) -> Response:
        return (await self.handle(request.scope, request.receive, publish=True)).response()

    async def validate(self, request: Request) -> Response:
        return (await self.handle(request.scope, request.receive, publish=False)).response()

    async def handle(self, scope: Scope, receive: Receive, *, publish: bool) -> Answer:
        started = time.perf_counter()
        client = UNAUTHENTICATED
        try:
            client, limit_key = await self._caller(scope)
            answer = await self._answer(scope, receive, client, limit_key, publish=publish)
        except ClientDisconnect:
            # Nobody to answer; nothing was published because validation never ran.
            answer = Answer(400, b"")
        except IngestError as exc:
            answer = self._error(exc)
        self._metrics.observe(publish, answer.status, time.perf_counter() - started, client)
        return answer

    async def _caller(self, scope: Scope) -> tuple[str, str]:
        """Who is calling, checked before the body is read: the token's client id
        (scopes checked), or without auth the peer address, for the rate limit only."""
        if self._authenticator is not None:
            client = (await self._authenticator.authenticate(scope)).client_id
            key = client
        else:
            client = ANONYMOUS
            peer = scope.get("client")
            key = f"{ANONYMOUS}:{peer[0]}" if peer else ANONYMOUS
        if self._limiter.enabled:
            self._limiter.admit(key)
        return client, key

    async def _answer(
        self, scope: Scope, receive: Receive, client: str, limit_key: str, *, publish: bool
    ) -> Answer:
        settings = self._settings
        received = self._clock.now()
        raw = b""
        try:
            raw = await read_body(
                receive,
                BodyHeaders.of(scope),
                wire_limit=settings.max_body_bytes,
                decompressed_limit=settings.max_decompressed_bytes,
            )
            try:
                envelope = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise MalformedJsonError(f"Body is not valid JSON: {exc}") from exc
            if self._limiter.enabled:
                data = envelope.get("data") if isinstance(envelope, dict) else None
                self._limiter.charge_events(limit_key, len(data) if isinstance(data, list) else 1)
            try:
                # The document limits first, then every rule: one native pass when valid.
                result = self._validator.validate(envelope)
            except DocumentLimitError as exc:
                raise DocumentLimitExceededError(exc.code, exc.message, path=exc.path) from exc
            if not result.valid:
                return self._invalid(
                    raw, envelope, result.errors, received, client, publish=publish
                )
            count = len(result.events)
            if not publish:
                return Answer(200, body("success", f"Envelope is valid: {_plural(count, 'event')}"))
            records = event_records(result.events, context_of(envelope, received, client))
            try:
                with self._metrics.publish_latency.time():
                    await self._publisher.publish_events(records)
            except PublishError as exc:
                if exc.maybe_stored:
                    self._metrics.partial_publish.inc()
                raise
            self._metrics.count_events(client, count)
            return Answer(200, body("success", f"{_plural(count, 'event')} accepted"))
        except IngestError as exc:
            if publish and exc.status == 400:
                # Malformed JSON or a broken document limit: operators see those too.
                self._copy_rejected(raw, None, [_as_issue(exc)], received, client)
            return self._error(exc)

    def _error(self, exc: IngestError) -> Answer:
        self._metrics.errors.labels(exc.code).inc()
        headers = {}
        if isinstance(exc, AuthError):
            headers["WWW-Authenticate"] = exc.challenge()
        elif isinstance(exc, RateLimitedError):
            headers["Retry-After"] = str(exc.retry_after_s)
        elif exc.retriable:
            logger.warning("answering %d: %s", exc.status, exc.message)
            headers["Retry-After"] = str(self._settings.retry_after_s)
        return Answer(exc.status, body("error", exc.message, [exc.entry()]), headers)

    def _invalid(
        self,
        raw: bytes,
        envelope: Any,
        errors: list[ValidationIssue],
        received: str,
        client: str,
        *,
        publish: bool,
    ) -> Answer:
        for issue in errors:
            self._metrics.errors.labels(issue.code).inc()
        if publish:
            sensor = envelope.get("sensor") if isinstance(envelope, dict) else None
            self._copy_rejected(raw, sensor, errors, received, client)
        message = f"Envelope is invalid: {_plural(len(errors), 'error')}"
        return Answer(400, body("error", message, [issue.to_dict() for issue in errors]))

    def _copy_rejected(
        self, raw: bytes, sensor: Any, errors: list[ValidationIssue], received: str, client: str
    ) -> None:
        record = rejected_record(
            body=raw,
            errors=errors,
            sensor=sensor,
            received_time=received,
            client_id=client,
            body_limit=self._settings.rejected_body_bytes,
        )
        if not self._publisher.publish_rejected(record):
            self._metrics.rejected_dropped.inc()


def _as_issue(error: IngestError) -> ValidationIssue:
    return ValidationIssue(None, error.path, error.code, error.message)
