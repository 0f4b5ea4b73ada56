"""The front door with the local issuer: tokens from /oauth2/token, 401/403/429 answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from starlette.types import ASGIApp

from caliper_pipeline.dev.issuer import LocalIssuer
from caliper_pipeline.dev.issuer_routes import create_app_with_issuer
from caliper_pipeline.dev.settings import DevSettings
from ingest.auth.factory import AuthConfigError
from ingest.auth.tokens import SCOPE_ADMIN
from ingest.http.app import create_app
from ingest.settings import Settings
from tests.unit.ingest.http.test_app import FakePublisher

WEBHOOK_SCOPE = "https://purl.imsglobal.org/spec/caliper/v1p1/scope/webhook.readonly"


@pytest.fixture
def example(conformance_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(
        (conformance_dir / "timeback-clients" / "seed-example1.json").read_bytes()
    )
    return data


def settings_in(directory: Path, **overrides: Any) -> tuple[Settings, DevSettings]:
    values: dict[str, Any] = {"auth_known_clients": "app-1", **overrides}
    dev = DevSettings(issuer_dir=directory, issuer_clients="app-1:s3cret,app-2:other")  # type: ignore[arg-type]
    return Settings(**values), dev


class Door:
    def __init__(self, configured: tuple[Settings, DevSettings]) -> None:
        settings, dev = configured
        self.publisher = FakePublisher()
        self.registry = CollectorRegistry()
        self.issuer = LocalIssuer.from_settings(dev, audience=settings.auth_audience)
        self.app = create_app_with_issuer(
            settings=settings, issuer=self.issuer, publisher=self.publisher, registry=self.registry
        )

    def client(self, *, routes_only: bool = False) -> httpx.AsyncClient:
        # routes_only: FastAPI's own stack, as FastAPI builds it, without the shortcut.
        app: ASGIApp = FastAPI.build_middleware_stack(self.app) if routes_only else self.app
        transport = httpx.ASGITransport(app=app)
        return httpx.AsyncClient(transport=transport, base_url="http://t")


async def token_for(client: httpx.AsyncClient, **form: str) -> httpx.Response:
    return await client.post("/oauth2/token", data={"grant_type": "client_credentials", **form})


async def test_form_and_basic_credentials_both_get_a_working_token(
    tmp_path: Path, example: dict[str, Any]
) -> None:
    door = Door(settings_in(tmp_path))
    async with door.client() as c:
        form = await token_for(c, client_id="app-1", client_secret="s3cret")
        basic = await c.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=("app-2", "other"),
        )
        assert form.status_code == 200, form.text
        assert basic.status_code == 200, basic.text
        assert form.headers["cache-control"] == "no-store"
        assert form.json()["token_type"] == "Bearer"
        for answer in (form, basic):
            token = answer.json()["access_token"]
            posted = await c.post(
                "/caliper/event", json=example, headers={"authorization": f"Bearer {token}"}
            )
            assert posted.status_code == 200, posted.text
    clients = [dict(r.headers)["client-id"] for r in door.publisher.events]
    assert clients == [b"app-1", b"app-2"]
    sample = door.registry.get_sample_value
    assert sample("caliper_ingest_events_total", {"client": "app-1"}) == 1
    # app-2 is not in auth_known_clients... but it is a client of the local issuer.
    assert sample("caliper_ingest_events_total", {"client": "app-2"}) == 1


@pytest.mark.parametrize(
    ("form", "basic", "status", "error"),
    [
        ({"client_id": "app-1", "client_secret": "wrong"}, None, 400, "invalid_client"),
        ({"client_id": "nobody", "client_secret": "s3cret"}, None, 400, "invalid_client"),
        ({}, ("app-1", "wrong"), 401, "invalid_client"),
        (
            {"client_id": "app-1", "client_secret": "s3cret", "scope": "x"},
            None,
            400,
            "invalid_scope",
        ),
    ],
)
async def test_token_endpoint_refusals_follow_oauth2(
    tmp_path: Path, form: dict[str, str], basic: tuple[str, str] | None, status: int, error: str
) -> None:
    door = Door(settings_in(tmp_path))
    async with door.client() as c:
        data = {"grant_type": "client_credentials", **form}
        if basic is None:
            answer = await c.post("/oauth2/token", data=data)
        else:
            answer = await c.post("/oauth2/token", data=data, auth=basic)
        wrong_grant = await c.post("/oauth2/token", data={"grant_type": "password"})
    assert answer.status_code == status
    assert answer.json()["error"] == error
    assert wrong_grant.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("routes_only", [False, True], ids=["shortcut", "fastapi-routes"])
async def test_every_ingest_path_needs_a_token_with_scope(
    tmp_path: Path, example: dict[str, Any], routes_only: bool
) -> None:
    door = Door(settings_in(tmp_path))
    webhook = door.issuer.issue("app-1", [WEBHOOK_SCOPE]).access_token
    admin = door.issuer.issue("app-1", [SCOPE_ADMIN]).access_token
    async with door.client(routes_only=routes_only) as c:
        for path in ("/caliper/event", "/caliper/event/validate"):
            missing = await c.post(path, json=example)
            assert missing.status_code == 401
            assert missing.headers["www-authenticate"] == 'Bearer realm="caliper"'
            assert missing.json()["errors"][0]["code"] == "missing_token"
            forged = await c.post(path, json=example, headers={"authorization": "Bearer a.b.c"})
            assert forged.status_code == 401
            assert 'error="invalid_token"' in forged.headers["www-authenticate"]
            scoped = await c.post(
                path, json=example, headers={"authorization": f"Bearer {webhook}"}
            )
            assert scoped.status_code == 403
            assert scoped.json()["errors"][0]["code"] == "insufficient_scope"
            ok = await c.post(path, json=example, headers={"authorization": f"Bearer {admin}"})
            assert ok.status_code == 200, ok.text
        assert (await c.get("/healthz")).status_code == 200
    assert len(door.publisher.events) == 1


async def test_rate_limit_answers_429_with_retry_after(
    tmp_path: Path, example: dict[str, Any]
) -> None:
    door = Door(settings_in(tmp_path, rate_limit_requests_per_s=1, rate_limit_burst_s=2))
    token = door.issuer.issue(
        "app-1", ["https://purl.imsglobal.org/spec/caliper/v1p1/scope/event.create"]
    )
    other = door.issuer.issue("app-2", [SCOPE_ADMIN])
    async with door.client() as c:
        statuses = []
        for _ in range(4):
            answer = await c.post(
                "/caliper/event/validate",
                json=example,
                headers={"authorization": f"Bearer {token.access_token}"},
            )
            statuses.append(answer.status_code)
        assert statuses == [200, 200, 429, 429]
        assert answer.headers["retry-after"] == "1"
        assert answer.json()["errors"][0]["code"] == "rate_limited"
        # Another client has its own bucket.
        fair = await c.post(
            "/caliper/event/validate",
            json=example,
            headers={"authorization": f"Bearer {other.access_token}"},
        )
        assert fair.status_code == 200


async def test_events_rate_limit_charges_the_envelope_then_refuses(
    tmp_path: Path, example: dict[str, Any]
) -> None:
    door = Door(settings_in(tmp_path, rate_limit_events_per_s=1, rate_limit_burst_s=1))
    token = door.issuer.issue("app-1", [SCOPE_ADMIN]).access_token
    big = {**example, "data": example["data"] * 5}
    async with door.client() as c:
        first = await c.post(
            "/caliper/event/validate", json=big, headers={"authorization": f"Bearer {token}"}
        )
        second = await c.post(
            "/caliper/event/validate", json=example, headers={"authorization": f"Bearer {token}"}
        )
    assert first.status_code == 400  # five copies share one id: invalid, but charged
    assert second.status_code == 429
    assert int(second.headers["retry-after"]) >= 3


async def test_openapi_declares_the_oauth2_scheme(tmp_path: Path) -> None:
    door = Door(settings_in(tmp_path))
    async with door.client() as c:
        document = (await c.get("/openapi.json")).json()
    scheme = document["components"]["securitySchemes"]["OAuth2"]
    assert scheme["flows"]["clientCredentials"]["tokenUrl"] == "/oauth2/token"
    post = document["paths"]["/caliper/event"]["post"]
    assert {"OAuth2": [SCOPE_ADMIN]} in post["security"]
    assert {"401", "403", "429", "503"} <= set(post["responses"])
    assert "security" not in document["paths"]["/healthz"]["get"]


async def test_auth_off_is_explicit_and_visible(tmp_path: Path) -> None:
    with pytest.raises(AuthConfigError):
        create_app(settings=Settings(), publisher=FakePublisher())
    app = create_app(settings=Settings(auth_enabled=False), publisher=FakePublisher())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        ready = (await c.get("/readyz")).json()
        document = (await c.get("/openapi.json")).json()
    assert "authentication is off" in ready["message"]
    assert "securitySchemes" not in document["components"]


def test_issuer_keeps_its_key_and_client_secret_private_and_stable(tmp_path: Path) -> None:
    settings = DevSettings(issuer_dir=tmp_path / "issuer")
    first = LocalIssuer.from_settings(settings, audience=None)
    second = LocalIssuer.from_settings(settings, audience=None)
    assert first.kid == second.kid
    assert first.clients == second.clients
    assert list(first.clients) == ["local-app"]
    for name in ("signing-key.pem", "clients.json"):
        assert (tmp_path / "issuer" / name).stat().st_mode & 0o777 == 0o600
