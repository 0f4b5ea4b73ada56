"""/docs works offline: every asset it loads is served by the app itself; / lists the URLs."""

from __future__ import annotations

import re

import httpx
from prometheus_client import CollectorRegistry

from ingest.http.app import create_app
from ingest.settings import Settings
from tests.unit.ingest.http.test_app import FakePublisher


def client() -> httpx.AsyncClient:
    app = create_app(
        settings=Settings(auth_enabled=False),
        publisher=FakePublisher(),
        registry=CollectorRegistry(),
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://door")


async def test_docs_loads_only_assets_the_app_serves() -> None:
    async with client() as http:
        page = await http.get("/docs")
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
        urls += re.findall(r"""url: ?["']([^"']+)["']""", page.text)
        assert urls, page.text
        # Nothing from another host (the CDN of FastAPI's default page).
        assert all(url.startswith("/") for url in urls), urls
        kinds = set()
        for url in urls:
            answer = await http.get(url)
            assert answer.status_code == 200, url
            kinds.add(answer.headers["content-type"].split(";")[0])
        assert {"text/javascript", "text/css", "application/json"} <= kinds, kinds
        bundle = await http.get("/docs/assets/swagger-ui-bundle.js")
        # Swagger UI 5 renders OpenAPI 3.1 (what FastAPI writes); version 4 does not.
        assert re.search(rb'"5\.\d+\.\d+"', bundle.content)
        assert (await http.get("/openapi.json")).json()["openapi"].startswith("3.1")


async def test_front_page_points_at_docs_health_and_metrics() -> None:
    async with client() as http:
        answer = await http.get("/")
        assert answer.status_code == 200
        links = answer.json()["links"]
        assert {"docs", "health", "metrics", "events"} <= set(links)
        for name in ("docs", "health", "metrics", "openapi", "ready"):
            assert (await http.get(links[name])).status_code == 200, name
