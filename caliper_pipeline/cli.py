"""The `caliper-pipeline` command: one entry point, every subcommand from one table."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NamedTuple

from caliper_pipeline.commands import (
    aggregate,
    analytics,
    facts,
    results,
    serve,
    token,
    try_event,
    up,
    validate,
)


class Subcommand(NamedTuple):
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand(
        "validate",
        "validate envelope files offline (one JSON line per file)",
        validate.add_arguments,
        validate.run,
    ),
    Subcommand(
        "serve",
        "the front door alone, against CALIPER_KAFKA_BOOTSTRAP_SERVERS",
        serve.add_arguments,
        serve.run_serve,
    ),
    Subcommand(
        "up",
        "the whole pipeline on 127.0.0.1 with the embedded broker (Ctrl-C stops)",
        serve.add_arguments,
        up.run_up,
    ),
    Subcommand(
        "aggregate",
        "the facts aggregator (CALIPER_AGGREGATOR_* settings)",
        aggregate.add_arguments,
        aggregate.run_aggregate,
    ),
    Subcommand(
        "results",
        "the OneRoster results writer (CALIPER_ONEROSTER_* settings)",
        results.add_arguments,
        results.run_results,
    ),
    Subcommand(
        "analytics",
        "the analytics read API over the aggregator's store (CALIPER_ANALYTICS_* settings)",
        analytics.add_arguments,
        analytics.run_analytics,
    ),
    Subcommand(
        "facts",
        "a student's totals per day, subject and app, read from the store",
        facts.add_arguments,
        facts.run_facts,
    ),
    Subcommand(
        "try",
        "post one new example event to the running `up` (what its banner suggests)",
        try_event.add_arguments,
        try_event.run_try,
    ),
    Subcommand(
        "token",
        "print a bearer token of the local issuer `up` uses (for scripts)",
        token.add_arguments,
        token.run_token,
    ),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="caliper-pipeline", description="Caliper event ingestion and validation pipeline."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in SUBCOMMANDS:
        subparser = subparsers.add_parser(command.name, help=command.help)
        command.add_arguments(subparser)
        subparser.set_defaults(handler=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    sys.exit(args.handler(args))
