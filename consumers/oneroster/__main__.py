"""`python -m consumers.oneroster [--replay-dlq]`."""

from __future__ import annotations

import argparse
import sys

from consumers.oneroster import command


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m consumers.oneroster", description="The OneRoster results writer."
    )
    command.add_arguments(parser)
    return command.run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
