"""The `caliper-pipeline` command: one entry point, one subcommand per process."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

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
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    sys.exit(args.handler(args))
