"""`caliper-pipeline validate PATH...`: validate envelope files offline, one JSON line each."""

from __future__ import annotations

import argparse
import sys
from typing import Any, BinaryIO, Final

import orjson

from validators import EnvelopeValidator, ValidationIssue

EXIT_VALID: Final = 0
EXIT_INVALID: Final = 1
EXIT_USAGE: Final = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="envelope files; - for stdin")
    parser.add_argument(
        "--max-events",
        type=int,
        default=1000,
        help="most items allowed in one envelope's data (default 1000)",
    )
    parser.add_argument(
        "--max-errors", type=int, default=100, help="most errors listed per file (default 100)"
    )


def run(args: argparse.Namespace, out: BinaryIO | None = None) -> int:
    stream = out if out is not None else sys.stdout.buffer
    validator = EnvelopeValidator(max_events=args.max_events, max_errors=args.max_errors)
    status = EXIT_VALID
    for path in args.paths:
        line, file_status = _check_file(validator, path)
        stream.write(orjson.dumps(line) + b"\n")
        status = max(status, file_status)
    stream.flush()
    return status


def _check_file(validator: EnvelopeValidator, path: str) -> tuple[dict[str, Any], int]:
    try:
        raw = sys.stdin.buffer.read() if path == "-" else _read(path)
    except OSError as error:
        issue = ValidationIssue(
            None, "$", "unreadable_file", f"cannot read {path}: {error.strerror}"
        )
        return _line(path, [issue]), EXIT_USAGE
    try:
        envelope = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        issue = ValidationIssue(None, "$", "invalid_json", f"not valid JSON: {error}")
        return _line(path, [issue]), EXIT_INVALID
    result = validator.validate(envelope)
    return _line(path, result.errors), EXIT_VALID if result.valid else EXIT_INVALID


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _line(path: str, errors: list[ValidationIssue]) -> dict[str, Any]:
    return {"file": path, "valid": not errors, "errors": [e.to_dict() for e in errors]}
