"""What `up` prints once everything is ready, after every startup log line: where each
part is, where conflicts show, and a short command to paste."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Final

from caliper_pipeline.dev.issuer import LocalIssuer
from caliper_pipeline.dev.issuer_routes import TOKEN_PATH
from caliper_pipeline.try_it import command_line
from consumers.analytics.auth import SCOPE_ANALYTICS_READ_ONLY as SCOPE

CONFLICTS: Final = (
    "an id re-sent with other content is not counted (caliper_aggregator_conflicts_total, "
    "topic caliper.events.conflicts): facts keep the first version"
)


def print_banner(
    *,
    url: str,
    analytics: str,
    bootstrap: str,
    oneroster: str,
    store: Path,
    issuer: LocalIssuer | None,
) -> None:
    lines = [
        f"front door: {url}",
        f"analytics: {analytics}/docs (token: {command_line('token', '--scope', SCOPE)})",
        f"kafka: {bootstrap}",
        f"oneroster: {oneroster}",
        f"data: {store}",
        f"metrics: {url}/metrics",
    ]
    if issuer is not None:
        client_id, secret = next(iter(issuer.clients.items()))
        lines += [
            f"token url: {url}{TOKEN_PATH}",
            f"client id: {client_id}",
            f"client secret: {secret}",
        ]
    lines += [f"conflicts: {CONFLICTS}", f"try it: {command_line('try')}"]
    # Set apart from the startup logs above it (stderr): a blank line and a title. One
    # write: print() writes its end separately, and a reader could get the closing blank
    # line after the rest, as if something were printed after the banner.
    text = "\n".join(["", "caliper pipeline is up (Ctrl-C stops it)", *lines, "", ""])
    sys.stdout.write(text)
    sys.stdout.flush()
