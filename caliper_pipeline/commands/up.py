"""`caliper-pipeline up`: the whole pipeline on the embedded broker (caliper_pipeline.up)."""

from __future__ import annotations

import argparse
import sys

from caliper_pipeline.commands.serve import front_door_settings
from caliper_pipeline.logs import configure_logging
from caliper_pipeline.runtime import EXIT_FAILED, run
from caliper_pipeline.up import UpConfig, plan_up
from caliper_pipeline.up_state import DataDirInUseError, UpLock


def run_up(args: argparse.Namespace) -> int:
    config = UpConfig.from_environment(front_door_settings(args))
    # The children log their own settings; this process logs what it starts and stops.
    configure_logging(config.door.log_level, config.door.log_format)
    lock = UpLock(config.dev.data_dir)
    try:
        lock.acquire()
    except DataDirInUseError as exc:
        print(f"caliper-pipeline up: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        return run(plan_up(config), shutdown_timeout_s=config.drain_timeout_s)
    finally:
        lock.release()
