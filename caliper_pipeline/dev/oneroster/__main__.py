"""`python -m caliper_pipeline.dev.oneroster [--port N]`: the dev OneRoster until Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import sys
from contextlib import AsyncExitStack

from caliper_pipeline.dev.oneroster.server import DEV_CLIENT_ID, DEV_CLIENT_SECRET, DevServer
from caliper_pipeline.logs import configure_logging
from caliper_pipeline.runtime import Plan, run

logger = logging.getLogger("caliper_pipeline.dev.oneroster")


def main() -> int:
    parser = argparse.ArgumentParser(description="Development OneRoster gradebook server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port")
    parser.add_argument("--client-id", default=DEV_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEV_CLIENT_SECRET)
    parser.add_argument("--token-ttl", type=float, default=3600.0, help="token lifetime (s)")
    args = parser.parse_args()
    configure_logging("INFO")

    async def build(stack: AsyncExitStack) -> Plan:
        server = DevServer(
            host=args.host,
            port=args.port,
            client_id=args.client_id,
            client_secret=args.client_secret,
            token_ttl_s=args.token_ttl,
        )
        await stack.enter_async_context(server)
        return Plan([], on_ready=lambda: logger.info("oneroster: %s", server.url))

    return run(build, shutdown_timeout_s=5.0)


if __name__ == "__main__":
    sys.exit(main())
