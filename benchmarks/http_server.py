"""Server process of benchmarks/http.py, pinned to its own core until it is killed.

    python -m benchmarks.http_server KIND --port P --cpus 0 [--http uvicorn|granian]
        [--bootstrap HOST:PORT --topic T] [--issuer-dir DIR]

KIND is `ours` (ingest.http.app.create_app, on our uvicorn server or on granian),
`baseline` (benchmarks/baseline_app.py on plain uvicorn) or `trivial` (an ASGI app
answering 200 at once: the load generator's ceiling). With `--issuer-dir`, tokens of
the local issuer kept there are required, as `up` requires them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
from pathlib import Path
from typing import Any

import uvicorn
import uvloop
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server.embed import Server as GranianServer
from jwt.algorithms import RSAAlgorithm
from starlette.types import ASGIApp, Receive, Scope, Send

from benchmarks.baseline_app import create_baseline_app
from caliper_pipeline.dev.issuer import LOCAL_ISSUER, LocalIssuer
from caliper_pipeline.dev.settings import DevSettings
from caliper_pipeline.kafka import KafkaSettings
from ingest.http.app import create_app
from ingest.http.server import GC_GEN0_THRESHOLD, FrontDoorServer, bind
from ingest.settings import Settings

HOST = "127.0.0.1"
_OK = b'{"status":"success","message":"Events processed","errors":[]}'


def load_issuer(directory: Path) -> LocalIssuer:
    """The issuer whose key benchmarks/http_bench.py created in `directory`."""
    return LocalIssuer.from_settings(DevSettings(issuer_dir=directory), audience=None)


async def trivial_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the whole body and answers a fixed 200: no work, only HTTP."""
    if scope["type"] == "lifespan":
        await receive()  # lifespan.startup
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(_OK))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": _OK})


def our_app(args: argparse.Namespace) -> tuple[ASGIApp, Settings]:
    settings = Settings(
        port=args.port,
        events_topic=args.topic,
        rejected_topic=f"{args.topic}.rejected",
        auth_enabled=args.issuer_dir is not None,
    )
    kafka = KafkaSettings(bootstrap_servers=args.bootstrap).client_options()
    # The authenticator `up` uses: this issuer's keys, the verified-token cache.
    authenticator = (
        load_issuer(args.issuer_dir).authenticator(settings) if args.issuer_dir else None
    )
    return create_app(settings=settings, kafka=kafka, authenticator=authenticator), settings


def baseline_app(args: argparse.Namespace) -> ASGIApp:
    public_key: Any = None
    if args.issuer_dir is not None:
        jwk = load_issuer(args.issuer_dir).jwks()["keys"][0]
        public_key = RSAAlgorithm.from_jwk(jwk)
    return create_baseline_app(
        args.bootstrap, args.topic, public_key=public_key, issuer=LOCAL_ISSUER
    )


async def serve_granian(app: ASGIApp, port: int) -> None:
    """granian's embedded server on this process's loop: one worker, one Rust thread,
    HTTP/1.1 only, the same backlog as ours."""
    server = GranianServer(
        app,
        address=HOST,
        port=port,
        interface=Interfaces.ASGI,
        runtime_threads=1,
        http=HTTPModes.http1,
        websockets=False,
        backlog=4096,
        http1_settings=HTTP1Settings(header_read_timeout=10_000, keep_alive=True),
        log_level=LogLevels.warning,
    )
    await server.serve()


async def serve_uvicorn(app: ASGIApp, port: int) -> None:
    """A plain `uvicorn.run` as most users run it: uvloop and httptools, no tuning."""
    config = uvicorn.Config(
        app,
        host=HOST,
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )
    await uvicorn.Server(config).serve()


async def run(args: argparse.Namespace) -> None:
    if args.kind == "trivial":
        await (serve_granian if args.http == "granian" else serve_uvicorn)(trivial_app, args.port)
        return
    if args.kind == "baseline":
        await serve_uvicorn(baseline_app(args), args.port)
        return
    app, settings = our_app(args)
    if args.http == "granian":
        # What FrontDoorServer.start does for uvicorn (see ingest/http/server.py).
        gc.freeze()
        gc.set_threshold(GC_GEN0_THRESHOLD, 20, 20)
        await serve_granian(app, args.port)
        return
    door = FrontDoorServer(app, settings, bind(HOST, args.port, fallback=False))  # type: ignore[arg-type]
    await door.start()
    await door.run(asyncio.Event())  # until the benchmark terminates this process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["ours", "baseline", "trivial"])
    parser.add_argument("--http", choices=["uvicorn", "granian"], default="uvicorn")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cpus", required=True, help="comma-separated CPU numbers")
    parser.add_argument("--bootstrap", default="")
    parser.add_argument("--topic", default="")
    parser.add_argument("--issuer-dir", type=Path, default=None)
    args = parser.parse_args()
    os.sched_setaffinity(0, {int(cpu) for cpu in args.cpus.split(",")})
    logging.basicConfig(level=logging.WARNING)
    uvloop.run(run(args))


if __name__ == "__main__":
    main()
