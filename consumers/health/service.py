"""A consumer service with its health server: the server is up before the consumer
starts (so `/readyz` says "starting" instead of refusing) and closes after it stops."""

from __future__ import annotations

import asyncio
from typing import Protocol

from consumers.health.progress import Monitored, Progress
from consumers.health.server import HEALTH_HOST, HealthServer


class MonitoredService(Monitored, Protocol):
    @property
    def name(self) -> str: ...
    async def start(self) -> None: ...
    async def run(self, stop: asyncio.Event) -> None: ...
    async def stop(self) -> None: ...


class WithHealth:
    """The runtime's Service protocol (caliper_pipeline.runtime), around `service`."""

    def __init__(self, service: MonitoredService, *, port: int, host: str = HEALTH_HOST) -> None:
        self.service = service
        self.health = HealthServer(service, host=host, port=port)

    @property
    def name(self) -> str:
        return self.service.name

    @property
    def progress(self) -> Progress:
        return self.service.progress

    async def start(self) -> None:
        await self.health.start()
        try:
            await self.service.start()
        except BaseException:
            await self.health.stop()
            raise

    async def run(self, stop: asyncio.Event) -> None:
        await self.service.run(stop)

    async def stop(self) -> None:
        try:
            await self.service.stop()
        finally:
            await self.health.stop()
