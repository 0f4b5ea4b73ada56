"""What auth and the document limits add per request, next to validation itself.

Checks the answers first (a good token is accepted, the documents pass the limits),
then times, on 1- and 100-event envelopes: the limits on their own (native and the
Python walk), the full path without them, and the hot path the front door runs (the
limits folded into one native pass with the schema, validators/screen.py); then a
cached token check and a first-time RS256 verification.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from caliper_pipeline.dev.issuer import LocalIssuer
from caliper_pipeline.dev.settings import DevSettings
from ingest.auth.tokens import SCOPE_EVENT_CREATE
from ingest.settings import Settings
from validators import EnvelopeValidator
from validators.limits import DocumentLimits, check_document

EXAMPLE = Path(__file__).resolve().parents[2] / "shared/conformance/timeback-clients"


def envelope(events: int) -> dict[str, Any]:
    base: dict[str, Any] = orjson.loads((EXAMPLE / "seed-example1.json").read_bytes())
    data = []
    for _ in range(events):
        event = copy.deepcopy(base["data"][0])
        event["id"] = f"urn:uuid:{uuid.uuid4()}"
        data.append(event)
    return {**base, "data": data}


def per_call_us(function: Callable[[], object], seconds: float = 1.0) -> float:
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(100):
            function()
        calls += 100
    return (time.perf_counter() - started) / calls * 1e6


async def auth_costs() -> tuple[float, float]:
    """Tokens of the local issuer (`up`'s), checked as the front door checks them."""
    with tempfile.TemporaryDirectory() as directory:
        dev = DevSettings(issuer_dir=Path(directory), issuer_clients="app-1:secret")  # type: ignore[arg-type]
        issuer = LocalIssuer.from_settings(dev, audience=None)
    auth = issuer.authenticator(Settings())

    def sign() -> str:
        return issuer.issue("app-1", [SCOPE_EVENT_CREATE]).access_token

    scope = {"headers": [(b"authorization", f"Bearer {sign()}".encode())]}
    assert (await auth.authenticate(scope)).client_id == "app-1"
    calls, started = 2000, time.perf_counter()
    for _ in range(calls):
        await auth.authenticate(scope)
    cached = (time.perf_counter() - started) / calls * 1e6
    fresh_tokens = [
        {"headers": [(b"authorization", f"Bearer {sign()}".encode())]} for _ in range(300)
    ]
    started = time.perf_counter()
    for fresh in fresh_tokens:
        auth._verified.clear()
        await auth.authenticate(fresh)
    first = (time.perf_counter() - started) / len(fresh_tokens) * 1e6
    return cached, first


def main() -> None:
    validator = EnvelopeValidator()
    validator.warm_up()
    limits = DocumentLimits(max_depth=32, max_string_chars=32768)
    hot = EnvelopeValidator(limits=limits)
    hot.warm_up()
    for events in (1, 100):
        document = envelope(events)
        assert validator.validate(document).valid
        limits.check(document)
        walk = per_call_us(
            functools.partial(check_document, document, max_depth=32, max_string_chars=32768)
        )
        native = per_call_us(functools.partial(limits.check, document))
        validate = per_call_us(functools.partial(validator.validate, document))
        screened = per_call_us(functools.partial(hot.validate, document))
        print(
            f"{events:>3} events: limits {native:7.1f} us (Python walk {walk:7.1f} us, "
            f"{walk / native:.1f}x), full path {validate:8.1f} us: apart {native + validate:8.1f}"
            f" us, folded into one pass {screened:8.1f} us ({(native + validate) / screened:.1f}x)"
        )
    cached, first = asyncio.run(auth_costs())
    print(f"token check: cached {cached:.1f} us, first RS256 verification {first:.1f} us")


if __name__ == "__main__":
    main()
