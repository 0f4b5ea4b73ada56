"""`caliper-pipeline up`: the whole pipeline on the embedded broker (caliper_pipeline.up)."""

from __future__ import annotations

import argparse

from caliper_pipeline.commands.serve import front_door_settings
from caliper_pipeline.logs import configure_logging, log_settings
from caliper_pipeline.runtime import run
from caliper_pipeline.up import UpConfig, plan_up


def run_up(args: argparse.Namespace) -> int:
    config = UpConfig.from_environment(front_door_settings(args))
    configure_logging(config.door.log_level, config.door.log_format)
    log_settings("front door", config.door.redacted())
    return run(plan_up(config), shutdown_timeout_s=config.door.shutdown_timeout_s)
