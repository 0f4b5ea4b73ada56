"""`/docs` served without a CDN, and `/` as a short index of the front door's URLs.

FastAPI's default `/docs` page loads Swagger UI's JavaScript and CSS from a CDN, so it
is blank offline or behind a strict egress policy. The assets come from the
`fastapi-offline` package (a current Swagger UI 5 build, the one that renders OpenAPI
3.1) and are served by the app itself, as FastAPI's self-hosting recipe does.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final

import fastapi_offline
import orjson
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, Response

from ingest.errors import JSON

DOCS_PATH: Final = "/docs"
ASSETS_PATH: Final = "/docs/assets"
OAUTH2_REDIRECT_PATH: Final = "/docs/oauth2-redirect"
ASSETS_DIR: Final = Path(fastapi_offline.__file__).resolve().parent / "static"


def add_docs_pages(app: FastAPI, links: Mapping[str, str]) -> None:
    """Mount the assets, the Swagger UI page and the index; the app must be created with
    `docs_url=None, redoc_url=None` so FastAPI's CDN pages do not take the same paths."""
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    index = orjson.dumps({"status": "success", "message": app.title, "links": dict(links)})

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_PATH}",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
        )

    @app.get(OAUTH2_REDIRECT_PATH, include_in_schema=False)
    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/", include_in_schema=False)
    async def front_page() -> Response:
        return Response(index, media_type=JSON)
