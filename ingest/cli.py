"""The `caliper-pipeline` command: one entry point, one subcommand per process."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

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
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    sys.exit(args.handler(args))
