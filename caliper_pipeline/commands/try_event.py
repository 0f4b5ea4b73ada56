"""`caliper-pipeline try`: post one new example event to the running `up`, as an app does."""

from __future__ import annotations

import argparse
import sys

import httpx
import orjson

from caliper_pipeline.dev.issuer import LocalIssuer
from caliper_pipeline.dev.settings import DevSettings
from caliper_pipeline.runtime import EXIT_FAILED, EXIT_OK
from caliper_pipeline.try_it import example_envelope
from caliper_pipeline.up_state import read_state
from ingest.auth.tokens import SCOPE_EVENT_CREATE
from ingest.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url", help="the front door (default: the running `up`'s, read from its data dir)"
    )


def run_try(args: argparse.Namespace) -> int:
    dev = DevSettings()
    url = args.url
    if url is None:
        state = read_state(dev.data_dir)
        if state is None:
            print(
                f"no `caliper-pipeline up` is running on the data dir {dev.data_dir.resolve()}"
                " (start it with `make run`), or pass --url",
                file=sys.stderr,
            )
            return EXIT_FAILED
        url = state.front_door
    settings = Settings()
    headers = {"content-type": "application/json"}
    if settings.auth_enabled:
        issuer = LocalIssuer.from_settings(dev, audience=settings.auth_audience)
        token = issuer.issue(next(iter(issuer.clients)), [SCOPE_EVENT_CREATE]).access_token
        headers["authorization"] = f"Bearer {token}"
    envelope = example_envelope()
    try:
        answer = httpx.post(
            f"{url}/caliper/event", content=orjson.dumps(envelope), headers=headers, timeout=15
        )
    except httpx.HTTPError as exc:
        print(f"cannot reach the front door at {url}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(answer.text)
    if answer.status_code != 200:
        return EXIT_FAILED
    print(
        f"posted {envelope['data'][0]['type']} {envelope['data'][0]['id']}: the aggregator "
        f"counts it within a second (caliper_aggregator_facts_total on {url}/metrics)",
        file=sys.stderr,
    )
    return EXIT_OK
