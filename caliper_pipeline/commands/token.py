"""`caliper-pipeline token`: a bearer token of the local issuer `up` trusts, for scripts."""

from __future__ import annotations

import argparse
import sys

from caliper_pipeline.dev.issuer import LocalIssuer
from caliper_pipeline.dev.settings import DevSettings
from caliper_pipeline.runtime import EXIT_OK, EXIT_USAGE
from ingest.auth.tokens import SCOPE_EVENT_CREATE
from ingest.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--client", help="client id (default: the first configured client)")
    parser.add_argument(
        "--scope", default=SCOPE_EVENT_CREATE, help="space-separated scopes (default event.create)"
    )


def run_token(args: argparse.Namespace) -> int:
    issuer = LocalIssuer.from_settings(DevSettings(), audience=Settings().auth_audience)
    client = args.client or next(iter(issuer.clients))
    if client not in issuer.clients:
        print(f"unknown client {client!r}; known: {', '.join(issuer.clients)}", file=sys.stderr)
        return EXIT_USAGE
    print(issuer.issue(client, args.scope.split()).access_token)
    return EXIT_OK
