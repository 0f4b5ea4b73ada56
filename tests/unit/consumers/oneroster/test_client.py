"""Token cache and retry policy against an httpx MockTransport: no network."""

from __future__ import annotations

import random
from collections.abc import Callable

import httpx
import orjson
import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from consumers.oneroster.auth import TokenProvider
from consumers.oneroster.client import OneRosterClient, retry_after_s
from consumers.oneroster.errors import AuthError, WriteFailedError
from consumers.oneroster.mapping import Write
from consumers.oneroster.metrics import WriterMetrics
from consumers.oneroster.settings import WriterSettings

BASE = "https://or.example.com"
TOKEN_URL = "https://auth.example.com/oauth2/token"
WRITE = Write("assessmentResults", "r-1", {"sourcedId": "r-1"})
Handler = Callable[[httpx.Request], httpx.Response]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Harness:
    def __init__(self, handler: Handler, **overrides: object) -> None:
        self.settings = WriterSettings(
            base_url=BASE,
            token_url=TOKEN_URL,
            client_id="id",
            client_secret=SecretStr("secret"),
            **overrides,  # type: ignore[arg-type]
        )
        self.metrics = WriterMetrics(CollectorRegistry())
        self.clock = Clock()
        self.sleeps: list[float] = []
        self.tokens_issued = 0
        self.calls: list[httpx.Request] = []

        def route(request: httpx.Request) -> httpx.Response:
            if str(request.url) == TOKEN_URL:
                self.tokens_issued += 1
                return httpx.Response(
                    200, json={"access_token": f"t{self.tokens_issued}", "expires_in": 600}
                )
            self.calls.append(request)
            return handler(request)

        self.http = httpx.AsyncClient(transport=httpx.MockTransport(route))
        self.tokens = TokenProvider(
            self.http,
            token_url=TOKEN_URL,
            client_id="id",
            client_secret=SecretStr("secret"),
            scope=None,
            refresh_margin_s=60,
            metrics=self.metrics,
            clock=self.clock,
        )

        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        self.client = OneRosterClient(
            self.http, self.tokens, self.settings, self.metrics, sleep=sleep, rng=random.Random(1)
        )

    def sample(self, name: str, **labels: str) -> float:
        return self.metrics.registry.get_sample_value(name, labels) or 0.0


def sequence(*responses: httpx.Response | Exception) -> Handler:
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler


async def test_put_wraps_the_body_and_sends_the_token() -> None:
    harness = Harness(sequence(httpx.Response(201)))
    await harness.client.put(WRITE)
    request = harness.calls[0]
    assert request.method == "PUT"
    assert str(request.url) == f"{BASE}/ims/oneroster/gradebook/v1p2/assessmentResults/r-1"
    assert orjson.loads(request.content) == {"assessmentResult": {"sourcedId": "r-1"}}
    assert request.headers["authorization"] == "Bearer t1"
    await harness.http.aclose()


async def test_retries_5xx_timeouts_and_drops_with_growing_jittered_backoff() -> None:
    harness = Harness(
        sequence(
            httpx.Response(500),
            httpx.ReadTimeout("slow"),
            httpx.RemoteProtocolError("dropped"),
            httpx.Response(503),
            httpx.Response(200),
        ),
        retry_backoff_s=1.0,
        retry_backoff_max_s=3.0,
    )
    await harness.client.put(WRITE)
    assert len(harness.calls) == 5
    assert all(
        0 <= wait <= ceiling for wait, ceiling in zip(harness.sleeps, [1, 2, 3, 3], strict=True)
    )
    assert harness.sample("caliper_oneroster_retries_total", reason="server_error") == 2
    assert harness.sample("caliper_oneroster_retries_total", reason="timeout") == 1
    assert harness.sample("caliper_oneroster_retries_total", reason="connection") == 1
    await harness.http.aclose()


async def test_429_honours_retry_after() -> None:
    harness = Harness(
        sequence(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(201)),
        retry_backoff_s=0.2,
    )
    await harness.client.put(WRITE)
    assert 7 <= harness.sleeps[0] <= 7.1
    assert harness.sample("caliper_oneroster_retries_total", reason="rate_limited") == 1
    await harness.http.aclose()


async def test_retries_are_bounded() -> None:
    harness = Harness(sequence(httpx.Response(500, json={"x": 1})), retry_max=2)
    with pytest.raises(WriteFailedError) as caught:
        await harness.client.put(WRITE)
    assert caught.value.code == "retries_exhausted"
    assert caught.value.attempts == 3
    assert caught.value.response == {"status": 500, "body": {"x": 1}}
    assert len(harness.calls) == 3
    await harness.http.aclose()


async def test_other_4xx_is_permanent_and_carries_request_and_answer() -> None:
    harness = Harness(sequence(httpx.Response(400, json={"imsx_codeMajor": "failure"})))
    with pytest.raises(WriteFailedError) as caught:
        await harness.client.put(WRITE)
    assert caught.value.code == "rejected"
    assert caught.value.request["body"] == {"sourcedId": "r-1"}
    assert caught.value.response == {"status": 400, "body": {"imsx_codeMajor": "failure"}}
    assert harness.sleeps == []
    await harness.http.aclose()


async def test_a_401_refreshes_the_token_once() -> None:
    harness = Harness(sequence(httpx.Response(401), httpx.Response(201)))
    await harness.client.put(WRITE)
    assert [r.headers["authorization"] for r in harness.calls] == ["Bearer t1", "Bearer t2"]
    assert harness.sample("caliper_oneroster_token_refreshes_total", reason="unauthorized") == 1
    await harness.http.aclose()


async def test_a_second_401_is_permanent() -> None:
    harness = Harness(sequence(httpx.Response(401)))
    with pytest.raises(WriteFailedError) as caught:
        await harness.client.put(WRITE)
    assert caught.value.code == "unauthorized"
    assert harness.tokens_issued == 2
    await harness.http.aclose()


async def test_token_is_cached_and_refreshed_before_expiry() -> None:
    harness = Harness(sequence(httpx.Response(200)))
    assert await harness.tokens.token() == "t1"
    harness.clock.now += 500  # expires_in 600, margin 60: still fresh at 500 s
    assert await harness.tokens.token() == "t1"
    harness.clock.now += 41  # 541 s: inside the margin
    assert await harness.tokens.token() == "t2"
    assert harness.sample("caliper_oneroster_token_refreshes_total", reason="initial") == 1
    assert harness.sample("caliper_oneroster_token_refreshes_total", reason="expiry") == 1
    await harness.http.aclose()


async def test_refused_credentials_are_fatal() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
        tokens = TokenProvider(
            http,
            token_url=TOKEN_URL,
            client_id="id",
            client_secret=SecretStr("bad"),
            scope="x",
            refresh_margin_s=60,
            metrics=WriterMetrics(CollectorRegistry()),
        )
        with pytest.raises(AuthError):
            await tokens.token()


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, None), ("3", 3.0), ("-1", 0.0), ("soon", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_retry_after(header: str | None, seconds: float | None) -> None:
    assert retry_after_s(header) == seconds
