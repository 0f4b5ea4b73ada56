"""`python -m consumers.oneroster.devserver [--port N]`: the dev OneRoster until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from consumers.oneroster.devserver.server import DEV_CLIENT_ID, DEV_CLIENT_SECRET, DevServer

logger = logging.getLogger("consumers.oneroster.devserver")


async def serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = DevServer(
        host=args.host,
        port=args.port,
        client_id=args.client_id,
        client_secret=args.client_secret,
        token_ttl_s=args.token_ttl,
    )
    async with server:
        logger.info("oneroster: %s (token: %s)", server.url, server.token_url)
        await stop.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description="Development OneRoster gradebook server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port")
    parser.add_argument("--client-id", default=DEV_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEV_CLIENT_SECRET)
    parser.add_argument("--token-ttl", type=float, default=3600.0, help="token lifetime (s)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
