"""The front door as `up` runs it, in its own process: `serve` plus the local issuer.

`up` starts it as `python -m caliper_pipeline.up_front_door --child-metrics DIR` with
the `CALIPER_*` environment it prepared (host, port, the embedded broker). It loads the
local issuer from `CALIPER_ISSUER_DIR` (the key and clients `up` created there), serves
its token and JWKS routes, and its /metrics shows the consumer children's metrics too
(caliper_pipeline.child_metrics). Once serving it prints `front door: URL` (the line
`up` waits for); SIGTERM drains it as it drains `serve`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry

from caliper_pipeline.child_metrics import ChildMetrics
from caliper_pipeline.commands.serve import run_front_door
from caliper_pipeline.dev.issuer import LocalIssuer
from caliper_pipeline.dev.issuer_routes import create_app_with_issuer
from caliper_pipeline.dev.settings import DevSettings
from caliper_pipeline.kafka import KafkaSettings
from caliper_pipeline.logs import configure_logging, log_settings
from ingest.settings import ENV_PREFIX, Settings


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m caliper_pipeline.up_front_door",
        description="The front door of `caliper-pipeline up` (started by it, not by hand).",
    )
    parser.add_argument(
        "--child-metrics", type=Path, help="multiprocess metrics directory of the consumers"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Built once here and passed down: nothing else reads the environment.
    settings = Settings()
    kafka = KafkaSettings.for_process(ENV_PREFIX)
    configure_logging(settings.log_level, settings.log_format)
    log_settings("front door", settings.redacted())
    log_settings("kafka", kafka.redacted())
    issuer = (
        LocalIssuer.from_settings(DevSettings(), audience=settings.auth_audience)
        if settings.auth_enabled
        else None
    )
    registry = CollectorRegistry()
    if args.child_metrics is not None:
        registry.register(ChildMetrics(args.child_metrics))
    app = create_app_with_issuer(
        settings=settings, issuer=issuer, kafka=kafka.client_options(), registry=registry
    )
    return run_front_door(app, settings, fallback=True)


if __name__ == "__main__":
    sys.exit(main())
