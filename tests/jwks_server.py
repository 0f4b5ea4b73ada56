"""A real JWKS endpoint over HTTP on a free port, in a thread, for integration tests."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

import orjson


class JwksServer:
    """Serves `document` at /jwks.json; `failing` makes it answer 500; counts fetches."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.failing = False
        self.fetches = 0
        self.other_hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/jwks.json":
                    server.other_hits.append(self.path)
                    self.send_error(404)
                    return
                server.fetches += 1
                if server.failing:
                    self.send_error(500)
                    return
                body = orjson.dumps(server.document)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def url(self) -> str:
        return f"{self.base_url}/jwks.json"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
