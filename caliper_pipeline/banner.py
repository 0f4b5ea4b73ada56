"""What `up` prints once everything is ready: where each part is, and a line to paste."""

from __future__ import annotations

from pathlib import Path

from caliper_pipeline.dev.issuer import LocalIssuer
from caliper_pipeline.dev.issuer_routes import TOKEN_PATH
from caliper_pipeline.try_it import curl_example


def print_banner(
    *, url: str, bootstrap: str, oneroster: str, store: Path, issuer: LocalIssuer | None
) -> None:
    lines = [
        f"front door: {url}",
        f"kafka: {bootstrap}",
        f"oneroster: {oneroster}",
        f"data: {store}",
        f"metrics: {url}/metrics",
    ]
    if issuer is None:
        lines.append(f"try it: {curl_example(url)}")
    else:
        client_id, secret = next(iter(issuer.clients.items()))
        lines += [
            f"token url: {url}{TOKEN_PATH}",
            f"client id: {client_id}",
            f"client secret: {secret}",
            f"try it: {curl_example(url, credentials=(client_id, secret))}",
        ]
    print("\n".join(lines), flush=True)
