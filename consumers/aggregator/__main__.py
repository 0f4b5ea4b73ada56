"""`python -m consumers.aggregator`: the aggregator as its own process."""

import argparse
import sys

from consumers.aggregator.command import add_arguments, run

parser = argparse.ArgumentParser(
    prog="python -m consumers.aggregator", description="Timeback facts aggregator."
)
add_arguments(parser)
sys.exit(run(parser.parse_args()))
