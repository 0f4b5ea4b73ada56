"""`caliper-pipeline results`: writes, then stops cleanly on SIGTERM; idles unconfigured."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

from caliper_pipeline.dev.oneroster import DevServer
from consumers.oneroster.service import NOT_CONFIGURED
from tests.integration.conftest import FrontDoor
from tests.integration.consumers.oneroster.conftest import (
    ROSTER,
    activity,
    eventually,
    post_events,
    writer_settings,
)

pytestmark = pytest.mark.integration


async def start(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "caliper_pipeline", "results", *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_the_command_writes_and_stops_on_sigterm(
    bootstrap_servers: str, front_door: FrontDoor, oneroster: DevServer
) -> None:
    settings = writer_settings(front_door.settings.events_topic, oneroster)
    env = {
        f"CALIPER_ONEROSTER_{name.upper()}": str(value)
        for name, value in settings.model_dump(exclude_none=True).items()
    }
    env["CALIPER_ONEROSTER_CLIENT_SECRET"] = "dev-secret"
    env["CALIPER_ONEROSTER_KAFKA_BOOTSTRAP_SERVERS"] = bootstrap_servers
    process = await start(env)
    try:
        await post_events(
            front_door.url, [activity("stu-1", f"{ROSTER}/courses/component-resources/r")]
        )
        await eventually(lambda: len(oneroster.app.store.objects["assessmentResults"]) == 1)
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    assert b"**********" in err  # the redacted settings dump
    assert b"dev-secret" not in err


async def test_without_oneroster_the_command_says_so_and_waits() -> None:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith("CALIPER_ONEROSTER_")
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "caliper_pipeline", "results",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        seen = b""
        while NOT_CONFIGURED.encode() not in seen:
            line = await asyncio.wait_for(process.stderr.readline(), 10)
            assert line, "the command exited before saying it does not consume"
            seen += line
        assert process.returncode is None
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
