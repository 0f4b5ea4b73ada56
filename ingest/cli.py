"""The `caliper-pipeline` command: one entry point, one subcommand per process."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from consumers.aggregator import command as aggregate_command
from consumers.oneroster import command as results_command
from ingest import commands as commands_module
from ingest import validate_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="caliper-pipeline", description="Caliper event ingestion and validation pipeline."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = commands.add_parser(
        "validate", help="validate envelope files offline (one JSON line per file)"
    )
    validate_command.add_arguments(validate)
    validate.set_defaults(handler=validate_command.run)
    serve = commands.add_parser(
        "serve", help="the front door alone, against CALIPER_KAFKA_BOOTSTRAP_SERVERS"
    )
    commands_module.add_arguments(serve)
    serve.set_defaults(handler=commands_module.run_serve)
    up = commands.add_parser(
        "up", help="the whole pipeline on 127.0.0.1 with the embedded broker (Ctrl-C stops)"
    )
    commands_module.add_arguments(up)
    up.set_defaults(handler=commands_module.run_up)
    aggregate = commands.add_parser(
        "aggregate", help="the facts aggregator (CALIPER_AGGREGATOR_* settings)"
    )
    aggregate_command.add_arguments(aggregate)
    aggregate.set_defaults(handler=aggregate_command.run)
    results = commands.add_parser(
        "results", help="the OneRoster results writer (CALIPER_ONEROSTER_* settings)"
    )
    results_command.add_arguments(results)
    results.set_defaults(handler=results_command.run)
    token = commands.add_parser(
        "token", help="print a bearer token of the local issuer `up` uses (for scripts)"
    )
    commands_module.add_token_arguments(token)
    token.set_defaults(handler=commands_module.run_token)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    sys.exit(args.handler(args))
